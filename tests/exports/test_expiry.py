"""Expiry is decided in one place (ExportRequest.is_due_to_expire), and every trigger
named in its docstring asks it: each expires a due export once, with one ledger entry,
and none expires an export whose download window is still open."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEntry
from exports import services
from exports.models import ExportRequest

pytestmark = pytest.mark.django_db


def approved_export(people, hours_ago):
    """Bob's export, approved by Alice ``hours_ago`` hours ago."""
    export = services.request_export(
        people.bob, purpose="年末のお礼状の発送", recipient="internal", fields=["name"]
    )
    services.decide(export, people.alice, approve=True)
    decided_at = timezone.now() - timedelta(hours=hours_ago)
    ExportRequest.objects.filter(pk=export.pk).update(decided_at=decided_at)
    return ExportRequest.objects.get(pk=export.pk)


def test_only_an_approved_export_past_its_window_is_due(people):
    assert not approved_export(people, hours_ago=23).is_due_to_expire()
    export = approved_export(people, hours_ago=25)
    assert export.is_due_to_expire()
    for status in ("pending", "rejected", "downloaded", "expired"):
        export.status = status
        assert not export.is_due_to_expire(), status


def purge(client, people, export):
    call_command("purge_exports", stdout=io.StringIO())


def export_list(client, people, export):
    client.force_login(people.bob)
    assert client.get("/admin/exports/").status_code == 200


def takeout_ledger(client, people, export):
    client.force_login(people.alice)
    assert client.get("/admin/exports/ledger/").status_code == 200


def export_page(client, people, export):
    client.force_login(people.bob)
    assert client.get(f"/admin/exports/{export.pk}/").status_code == 200


def decision(client, people, export):
    with pytest.raises(services.ExportRefused):
        services.decide(export, people.alice, approve=False)


def download(client, people, export):
    with pytest.raises(services.ExportRefused):
        services.claim_download(export, people.bob, "password", io.BytesIO())


TRIGGERS = [purge, export_list, takeout_ledger, export_page, decision, download]


@pytest.mark.parametrize("trigger", TRIGGERS, ids=lambda trigger: trigger.__name__)
def test_each_trigger_expires_a_due_export_once(client, people, trigger):
    export = approved_export(people, hours_ago=25)
    trigger(client, people, export)
    export.refresh_from_db()
    assert export.status == "expired" and export.expired_at is not None
    assert AuditEntry.objects.filter(action="export.expire", target_id=str(export.pk)).count() == 1


@pytest.mark.parametrize("trigger", TRIGGERS[:4], ids=lambda trigger: trigger.__name__)
def test_no_trigger_expires_an_export_within_its_window(client, people, trigger):
    export = approved_export(people, hours_ago=23)
    trigger(client, people, export)
    export.refresh_from_db()
    assert export.status == "approved" and export.expired_at is None
    assert not AuditEntry.objects.filter(action="export.expire").exists()
