"""The public notice page of an incident, for the people who could not be told."""

from django.shortcuts import get_object_or_404, render

from incidents.models import Incident


def public_notice(request, slug):
    """Only the text the owner wrote to publish, and the shop's contact."""
    incident = get_object_or_404(Incident, public_slug=slug)
    if not incident.public_text:
        incident = get_object_or_404(Incident, pk=None)
    return render(request, "incidents/public_notice.html", {"incident": incident})
