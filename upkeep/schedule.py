"""The jobs that run themselves: what each is, how often it is due, and running it once.

``manage.py run_scheduled`` (from the systemd timer or cron line in ``deploy/``) runs
every due job. Each job:

* takes its own lock first, a lease in ``JobState`` taken by one conditional UPDATE, so
  two runs at once (a slow backup and the next timer tick) never run it twice; a run
  that crashed frees it when its lease ends;
* is due when its last success is older than its interval: after a missed day it runs
  once, not once per missed day (every job works from "now": what is due to expire,
  to be removed, to be checked);
* records every run, success or failure, as a ``job.run`` ledger entry and in
  ``JobState`` (the home page's jobs list).

The alert digest mails, once a day, each person who receives alerts the kinds and counts
of the alerts raised since it last went out and every alert still unacknowledged (no
person or customer named); a quiet day sends nothing.
"""

import io
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from audit.actions import Action, Outcome
from audit.ledger import record
from upkeep.models import JobState

# A timer fires every 15 minutes: a job is due a little before its full interval, so a
# daily job started at 03:00:05 yesterday still runs at 03:00 today.
SLACK = timedelta(minutes=15)
# A job that failed is tried again an hour later, not at every tick.
RETRY_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Job:
    name: str
    label: str | Promise
    every: timedelta
    # Longer than any healthy run: a lease that ends frees the lock of a crashed run.
    lease: timedelta
    run: Callable[[], str]
    needs: str = ""  # a setting without which the job cannot run (then skipped, said)


def _command(name: str, *args: str) -> Callable[[], str]:
    def run() -> str:
        out = io.StringIO()
        call_command(name, *args, stdout=out, stderr=out)
        lines = [line for line in out.getvalue().splitlines() if line.strip()]
        return lines[-1] if lines else ""

    return run


def _verify() -> str:
    from upkeep.verification import verify_with_progress

    verdict = verify_with_progress()
    if not verdict.intact:
        raise JobFailed(f"audit ledger NOT intact: {verdict.message}")
    return f"audit ledger intact: {verdict.count} entries"


def _alert_digest() -> str:
    """Mail the alerts since the digest last went out (a day, or longer after missed
    days) to each person who receives alerts."""
    from audit.alerts import send_digest

    now = timezone.now()
    last = JobState.objects.filter(name="alert_digest").values_list("last_succeeded", flat=True)
    since = next(iter(last), None) or now - timedelta(days=1)
    raised, waiting, mailed = send_digest(since, now)
    return f"alert digest: {raised} raised, {waiting} unacknowledged, mailed to {mailed}"


class JobFailed(Exception):
    """A job ran and found something wrong; the message says what."""


# In the order they run: the checkpoint after the verification it relies on, and the
# backup last, so it carries the newest checkpoint and what retention left.
JOBS = [
    Job(
        "expire_exports",
        _("エクスポートの期限切れ処理"),
        timedelta(hours=1),
        timedelta(minutes=30),
        _command("purge_exports"),
    ),
    Job(
        "verify_audit",
        _("監査記録の改ざん検査"),
        timedelta(days=1),
        timedelta(hours=2),
        _verify,
    ),
    Job(
        "audit_checkpoint",
        _("監査記録のチェックポイント"),
        timedelta(days=1),
        timedelta(hours=2),
        _command("audit_checkpoint"),
        needs="AUDIT_SIGNING_KEY",
    ),
    Job(
        "apply_retention",
        _("保存期間を過ぎたデータの削除"),
        timedelta(days=1),
        timedelta(hours=4),
        _command("apply_retention"),
    ),
    Job(
        "alert_digest",
        _("警告のまとめのメール"),
        timedelta(days=1),
        timedelta(hours=1),
        _alert_digest,
    ),
    Job(
        "backup",
        _("バックアップ"),
        timedelta(days=1),
        timedelta(hours=6),
        _command("backup"),
        needs="BACKUP_RECIPIENT",
    ),
]
JOBS_BY_NAME = {job.name: job for job in JOBS}


@dataclass
class Ran:
    """What happened to one job in one ``run_scheduled``."""

    job: str
    status: str  # "ok", "failed", "not due", "running elsewhere", "not configured"
    message: str = ""


def state_of(job: Job) -> JobState:
    state, _created = JobState.objects.get_or_create(name=job.name)
    return state


def is_due(job: Job, state: JobState, now=None) -> bool:
    now = now or timezone.now()
    if state.last_failed and (not state.last_succeeded or state.last_failed > state.last_succeeded):
        return now - state.last_failed >= RETRY_AFTER
    return state.last_succeeded is None or now - state.last_succeeded >= job.every - SLACK


def is_configured(job: Job) -> bool:
    return not job.needs or bool(getattr(settings, job.needs, None))


def acquire(job: Job, holder: str) -> bool:
    """Take ``job``'s lock for its lease; False when another run holds it."""
    state_of(job)
    now = timezone.now()
    free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    taken = JobState.objects.filter(free, name=job.name).update(
        locked_until=now + job.lease,
        locked_by=holder,
        last_started=now,
        progress_done=0,
        progress_total=0,
    )
    return taken == 1


def release(job: Job, holder: str, ok: bool, message: str) -> None:
    now = timezone.now()
    outcome = {"last_succeeded": now} if ok else {"last_failed": now}
    JobState.objects.filter(name=job.name, locked_by=holder).update(
        locked_until=None, locked_by="", last_message=message[:300], **outcome
    )


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:64]


def run_job(job: Job, holder: str | None = None, actor=None) -> Ran:
    """Run ``job`` now under its lock, record the run; return what happened. With
    ``holder``, the caller already took the lock under that name (``acquire``)."""
    if not is_configured(job):
        return Ran(job.name, "not configured", f"{job.needs} is not set")
    if holder is None:
        holder = new_holder()
        if not acquire(job, holder):
            return Ran(job.name, "running elsewhere")
    started = time.monotonic()
    try:
        message, ok = job.run(), True
    except (Exception, SystemExit) as error:  # noqa: BLE001 (every failure is recorded)
        message, ok = f"{type(error).__name__}: {error}", False
    seconds = round(time.monotonic() - started, 1)
    release(job, holder, ok, message)
    record(
        Action.JOB_RUN,
        actor=actor,
        outcome=Outcome.OK if ok else Outcome.FAILED,
        target=("upkeep.job", job.name),
        detail={"job": job.name, "seconds": seconds, "message": message[:300]},
    )
    return Ran(job.name, "ok" if ok else "failed", message)


def run_due(names=None, force=False) -> list[Ran]:
    """Run every due job (or those ``names``; ``force``: due or not), in order."""
    results = []
    for job in JOBS:
        if names and job.name not in names:
            continue
        if not force and not is_due(job, state_of(job)):
            results.append(Ran(job.name, "not due"))
            continue
        results.append(run_job(job))
    return results


@dataclass
class JobStatus:
    """One job as the home page shows it."""

    name: str
    label: str | Promise
    last_succeeded: object
    last_failed: object
    message: str
    running: bool
    overdue: bool
    configured: bool


def statuses(now=None) -> list[JobStatus]:
    """Every job's last success and failure, and whether it is overdue: not succeeded
    within its interval plus a grace of one interval (the timer missed a run)."""
    now = now or timezone.now()
    states = {state.name: state for state in JobState.objects.all()}
    found = []
    for job in JOBS:
        state = states.get(job.name) or JobState(name=job.name)
        last = state.last_succeeded
        found.append(
            JobStatus(
                name=job.name,
                label=job.label,
                last_succeeded=last,
                last_failed=state.last_failed if _failed_last(state) else None,
                message=state.last_message,
                running=bool(state.locked_until and state.locked_until > now),
                overdue=is_configured(job) and (last is None or now - last > 2 * job.every),
                configured=is_configured(job),
            )
        )
    return found


def _failed_last(state: JobState) -> bool:
    return bool(
        state.last_failed and (not state.last_succeeded or state.last_failed > state.last_succeeded)
    )
