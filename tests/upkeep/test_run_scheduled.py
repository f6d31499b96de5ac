import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.actions import Action, Outcome
from audit.models import AuditEntry
from upkeep import schedule
from upkeep.models import JobState

DAY = 24 * 3600


@pytest.fixture
def quiet(settings, tmp_path):
    """No backup key (the backup job is then "not configured") and checkpoints in a
    file of the test's own."""
    settings.BACKUP_RECIPIENT = ""
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.txt")
    settings.AUDIT_CHECKPOINT_MAIL = False


def run(*args):
    out = io.StringIO()
    call_command("run_scheduled", *args, stdout=out)
    return out.getvalue()


def runs_of(job):
    return [e for e in AuditEntry.objects.filter(action=Action.JOB_RUN) if e.detail["job"] == job]


def test_it_runs_every_due_job_and_records_each_run(db, quiet):
    said = run()
    for job in ("expire_exports", "verify_audit", "audit_checkpoint", "apply_retention"):
        assert f"{job}: ok" in said
        [entry] = runs_of(job)
        assert entry.outcome == Outcome.OK
    assert "backup: not configured (BACKUP_RECIPIENT is not set)" in said
    assert runs_of("backup") == []
    assert JobState.objects.get(name="verify_audit").last_succeeded is not None


def test_a_job_is_not_run_again_before_it_is_due(db, quiet):
    run()
    said = run()
    assert "verify_audit: not due" in said and "expire_exports: not due" in said
    assert len(runs_of("verify_audit")) == 1


def test_after_missed_days_each_job_runs_once(db, quiet, clock):
    run()
    clock.advance(3 * DAY)
    said = run()
    assert "verify_audit: ok" in said
    assert len(runs_of("verify_audit")) == 2
    assert "verify_audit: not due" in run()


def test_a_job_locked_by_another_run_is_left_alone(db, quiet):
    job = schedule.JOBS_BY_NAME["verify_audit"]
    assert schedule.acquire(job, "other-host:1")
    said = run("--job", "verify_audit")
    assert "verify_audit: running elsewhere" in said
    assert runs_of("verify_audit") == []
    # A second taker gets nothing while the lease lasts.
    assert not schedule.acquire(job, "third:1")


def test_a_crashed_runs_lock_frees_itself_when_its_lease_ends(db, quiet, clock):
    job = schedule.JOBS_BY_NAME["verify_audit"]
    assert schedule.acquire(job, "crashed:1")
    clock.advance(job.lease.total_seconds() + 60)
    assert "verify_audit: ok" in run("--job", "verify_audit")


def test_a_failing_job_is_recorded_and_fails_the_command(db, quiet, monkeypatch):
    def broken():
        raise RuntimeError("disk full")

    failing = schedule.Job("expire_exports", "x", timedelta(hours=1), timedelta(minutes=5), broken)
    monkeypatch.setattr(schedule, "JOBS", [failing])
    with pytest.raises(SystemExit) as exited:
        run()
    assert exited.value.code == 1
    [entry] = runs_of("expire_exports")
    assert entry.outcome == Outcome.FAILED and "disk full" in entry.detail["message"]
    state = JobState.objects.get(name="expire_exports")
    assert state.last_failed is not None and state.locked_until is None
    # Tried again after an hour, not at every tick.
    assert not schedule.is_due(failing, state)
    assert schedule.is_due(failing, state, now=timezone.now() + timedelta(hours=1, minutes=1))


def test_the_statuses_flag_a_job_that_has_not_run_when_due(db, quiet, clock):
    run()
    assert not any(s.overdue for s in schedule.statuses() if s.configured)
    clock.advance(3 * DAY)
    overdue = {s.name for s in schedule.statuses() if s.overdue}
    assert {"verify_audit", "apply_retention", "expire_exports"} <= overdue
