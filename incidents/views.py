"""The public notice page of an incident, for the people who could not be told."""

from django.shortcuts import get_object_or_404, render

from incidents.models import Incident


def public_notice(request, slug):
    """Only what the owner published, as it read when published: 404 until then."""
    incident = get_object_or_404(Incident, public_slug=slug, published_at__isnull=False)
    context = {"notice": incident.published_notice, "published_at": incident.published_at}
    return render(request, "incidents/public_notice.html", context)
