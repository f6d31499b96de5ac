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


CUSTOMER_FACING = {
    "customer_what_happened": "お客様の情報を記録したUSBメモリを紛失しました。",
    "customer_advice": "当店を名乗る不審なメールにご注意ください。",
    "public_contact": "お客様窓口 0120-000-000（平日10時〜17時）",
}


def a_real_shop(name="株式会社みほん商店"):
    """事業者情報 with a real name instead of the seed's example (marked （例）)."""
    from policy.models import ShopProfile

    profile = ShopProfile.load()
    profile.business_name_ja = name
    profile.save()
    return profile


def ready_to_notify(incident):
    """The incident with its customer-facing text filled in, the shop named; returns the
    fingerprint of the mail the preview shows (what the send button posts back)."""
    from incidents import services

    a_real_shop()
    for name, value in CUSTOMER_FACING.items():
        setattr(incident, name, value)
    incident.save()
    return services.notice_mail(incident).fingerprint
