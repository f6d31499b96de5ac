"""Shared helpers for the incident tests."""

import datetime

from django.utils import timezone

from incidents.models import Incident


def make_incident(**values):
    facts = {
        "title": "USBメモリの紛失",
        "discovered_at": timezone.now(),
        "cause": Incident.Cause.LOST_MEDIUM,
        "what_happened": "配送用の顧客一覧を入れたUSBメモリを紛失した。",
        **values,
    }
    return Incident.objects.create(**facts)


def with_people(incident, count):
    """The incident with ``count`` made-up customer ids in its frozen scope."""
    import uuid

    incident.scope_customer_ids = [str(uuid.uuid4()) for _ in range(count)]
    incident.scope_frozen_at = timezone.now()
    incident.save()
    return incident


def days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)
