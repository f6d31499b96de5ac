"""The running of the shop on one page: the scheduled jobs, the backups, and the ledger
verification, which the owner and the auditor start from here (nobody has to open a
server for it) and watch until its result."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.actions import Action
from audit.activity import last_entry
from audit.models import AuditEntry
from upkeep import schedule
from upkeep.models import JobState
from upkeep.verification import start_in_background
from vault.access import vault_view
from vault.encryption import current_key_id
from vault.keys import key_date

READ = "audit.view_auditentry"
RUN_VERIFICATION = "upkeep.run_verification"
VERIFY = schedule.JOBS_BY_NAME["verify_audit"]
# Backups listed on the page: two weeks of daily ones.
BACKUPS_SHOWN = 14


@vault_view(READ)
def status(request):
    """The jobs, the backups and the verification (progress while it runs)."""
    state = schedule.state_of(VERIFY)
    running = bool(state.locked_until and state.locked_until > timezone.now())
    context = {
        "title": _("運用の状況"),
        "jobs": schedule.statuses(),
        "verification": verification_facts(state, running),
        "backups": AuditEntry.objects.filter(action=Action.BACKUP_MADE).order_by("-seq")[
            :BACKUPS_SHOWN
        ],
        "may_verify": request.user.has_perm(RUN_VERIFICATION),
        "keys": key_facts(),
    }
    return render(request, "upkeep/status.html", context)


def verification_facts(state: JobState, running: bool):
    verdict = last_entry(Action.AUDIT_VERIFIED)
    percent = 0
    if state.progress_total:
        percent = min(100, round(100 * state.progress_done / state.progress_total))
    return {
        "running": running,
        "done": state.progress_done,
        "total": state.progress_total,
        "percent": percent,
        "verdict": verdict,
    }


def key_facts():
    """The field keys' ids (never the keys), the one that encrypts, and the last
    rotation: a new key is made and listed on the server, then rotate_keys moves the
    values (docs/operations.md, "Keys")."""
    rotation = last_entry(Action.KEYS_ROTATE)
    return {
        "ids": list(settings.FIELD_ENCRYPTION_KEYS),
        "current": current_key_id(),
        "made": key_date(current_key_id()),
        "rotation": rotation,
    }


@vault_view(READ, RUN_VERIFICATION)
@require_POST
def verify(request):
    """Start the ledger verification in the background under the job's own lock."""
    holder = schedule.new_holder()
    if not schedule.acquire(VERIFY, holder):
        messages.info(request, _("改ざん検査はすでに実行中です。"))
        return redirect("upkeep:status")
    user = request.user
    start_in_background(lambda: schedule.run_job(VERIFY, holder=holder, actor=user))
    messages.success(request, _("改ざん検査を始めました。このページで進み具合と結果がわかります。"))
    return redirect("upkeep:status")
