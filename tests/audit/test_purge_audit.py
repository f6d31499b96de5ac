import pytest
from django.core.management import CommandError, call_command

from audit.ledger import record
from audit.management.commands.verify_audit import verify_ledger
from audit.models import AuditEntry, PurgePermit
from tests.audit.conftest import (
    appearance_rows,
    delete_appearances,
    named_entries,
    run_sql,
    without_triggers,
)

DAY = 24 * 60 * 60


@pytest.fixture
def aged_ledger(db, clock):
    """Entries 40 days old, then entries from today."""
    old = [record("keys.rotate", customers=["c-old"]) for _ in range(4)]
    clock.advance(40 * DAY)
    new = [record("policy.edit", customers=["c-new"]) for _ in range(3)]
    return old, new


def test_it_removes_old_entries_and_leaves_a_checkpoint(aged_ledger, capsys):
    old, new = aged_ledger
    call_command("purge_audit", "--older-than-days", "30")

    assert not AuditEntry.objects.filter(action="keys.rotate").exists()
    assert not named_entries("c-old")
    kept = set(AuditEntry.objects.values_list("pk", flat=True))
    assert {entry for entry, _customer in appearance_rows()} <= kept
    assert AuditEntry.objects.filter(action="policy.edit").count() == 3
    assert not PurgePermit.objects.exists()
    checkpoint = AuditEntry.objects.get(action="audit.purge")
    first_kept = AuditEntry.objects.order_by("seq").first()
    assert checkpoint.detail["first_seq"] == first_kept.seq
    assert checkpoint.detail["anchor"] == first_kept.prev_chain
    assert checkpoint.detail["removed"] >= len(old)
    assert "Removed" in capsys.readouterr().out
    verdict = verify_ledger()
    assert verdict.intact, verdict.problem


def test_the_remainder_still_detects_a_removal(aged_ledger):
    call_command("purge_audit", "--older-than-days", "30")
    first_kept = AuditEntry.objects.order_by("seq").first()
    with without_triggers():
        delete_appearances("SELECT %s", [first_kept.pk])
        run_sql("DELETE FROM audit_auditentry WHERE seq = %s", [first_kept.seq])
    verdict = verify_ledger()
    assert not verdict.intact
    assert verdict.bad_seq == first_kept.seq + 1


def test_it_can_purge_twice(aged_ledger, clock):
    call_command("purge_audit", "--older-than-days", "30")
    clock.advance(40 * DAY)
    record("audit.read")
    call_command("purge_audit", "--older-than-days", "30")
    assert AuditEntry.objects.filter(action="audit.purge").count() == 1
    assert verify_ledger().intact


def test_it_can_purge_everything(aged_ledger, clock):
    clock.advance(40 * DAY)
    call_command("purge_audit", "--older-than-days", "30")
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["audit.purge"]
    assert verify_ledger().intact


def test_it_keeps_everything_younger(aged_ledger, capsys):
    count = AuditEntry.objects.count()
    call_command("purge_audit", "--older-than-days", "60")
    assert AuditEntry.objects.count() == count
    assert "No audit entries" in capsys.readouterr().out


def test_it_uses_the_retention_setting(aged_ledger, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    call_command("purge_audit")
    assert not AuditEntry.objects.filter(action="keys.rotate").exists()


def test_it_refuses_a_zero_age(db):
    with pytest.raises(CommandError):
        call_command("purge_audit", "--older-than-days", "0")
