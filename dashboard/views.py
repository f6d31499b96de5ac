"""The evidence page (owner and auditor): every checklist item with its verdict from the
live state, its print view, the signed evidence pack, and the owner's statements of what
only a person knows."""

from django.contrib import messages
from django.contrib.staticfiles import finders
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from audit import activity
from audit.actions import Action
from audit.checkpoint import CheckpointError, fingerprint, signing_key
from audit.ledger import record
from dashboard import evidence, pack
from dashboard.forms import PeriodForm, StatementForm
from policy.models import PolicyVersion
from vault.access import vault_view

VIEW_EVIDENCE = "dashboard.view_evidence"
ADD_STATEMENT = "dashboard.add_statement"
STYLESHEET = "dashboard/evidence.css"


def key_fingerprint():
    """The checkpoint key's fingerprint, or "" when ``AUDIT_SIGNING_KEY`` is not set."""
    try:
        return fingerprint(signing_key().public_key())
    except CheckpointError:
        return ""


def period_of(request):
    """The period asked in the query string, else the default one (a bound form)."""
    data = request.GET if "since" in request.GET else PeriodForm.initial_period()
    return PeriodForm(data)


def page_context(request, form=None):
    groups = evidence.evaluate()
    return {
        "title": _("証跡（チェックリストへの回答）"),
        "groups": groups,
        "tally": evidence.tally(groups),
        "verdicts": evidence.Verdict,
        "generated_at": timezone.now(),
        "period_form": form or period_of(request),
        "fingerprint": key_fingerprint(),
        "may_state": request.user.has_perm(ADD_STATEMENT),
        "statement_form": StatementForm(),
    }


@vault_view(VIEW_EVIDENCE)
@require_GET
def evidence_page(request):
    """Every item, grouped by checklist, with the forms of the manual items (owner)."""
    return render(request, "dashboard/evidence.html", page_context(request))


@vault_view(VIEW_EVIDENCE)
@require_GET
def evidence_print(request):
    """The same items on an A4 page without the navigation."""
    return render(request, "dashboard/evidence_print.html", page_context(request))


def _inline_stylesheet():
    path = finders.find(STYLESHEET)
    with open(path, encoding="utf-8") as handle:
        return handle.read()


@vault_view(VIEW_EVIDENCE)
@require_GET
def evidence_pack(request):
    """The signed ZIP of the page, the period's ledger summary, the policy in force and
    the last verification; its download is a ledger entry."""
    form = period_of(request)
    if not form.is_valid():
        messages.error(request, _("期間を正しく入力してください。"))
        return redirect("dashboard:evidence")
    if not key_fingerprint():
        messages.error(
            request,
            _("署名の鍵（AUDIT_SIGNING_KEY）が未設定のため、証跡パッケージを作れません。"),
        )
        return redirect("dashboard:evidence")
    period = pack.Period(form.cleaned_data["since"], form.cleaned_data["until"])
    context = page_context(request, form)
    html = render_to_string(
        "dashboard/evidence_print.html",
        {**context, "standalone": True, "stylesheet": _inline_stylesheet()},
        request=request,
    )
    files = {
        "evidence.html": html.encode("utf-8"),
        "ledger-summary.csv": pack.ledger_summary(period).encode("utf-8"),
        "policy.json": pack.policy_document(PolicyVersion.objects.current()).encode("utf-8"),
        "verification.json": pack.verification_document(
            activity.last_entry(Action.AUDIT_VERIFIED)
        ).encode("utf-8"),
    }
    with transaction.atomic():
        archive = pack.build(files, timezone.localtime(context["generated_at"]))
        record(
            Action.EVIDENCE_PACK,
            request=request,
            detail={
                "since": period.since.isoformat(),
                "until": period.until.isoformat(),
                "items": sum(len(group.results) for group in context["groups"]),
                "fingerprint": context["fingerprint"],
            },
        )
    name = f"shopguard-evidence-{timezone.localdate():%Y%m%d}.zip"
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@vault_view(VIEW_EVIDENCE, ADD_STATEMENT)
@require_POST
def record_statement(request, item_id):
    """The owner records what only a person knows for one manual item."""
    item = evidence.ITEMS_BY_ID.get(item_id)
    if item is None or not item.manual:
        raise Http404
    form = StatementForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("回答と確認した人を入力してください。"))
        return redirect(reverse("dashboard:evidence") + f"#item-{item.id}")
    with transaction.atomic():
        statement = form.save(commit=False)
        statement.item = item.id
        statement.recorded_by = request.user
        statement.save()
        record(
            Action.EVIDENCE_STATEMENT,
            request=request,
            target=statement,
            detail={"item": item.id, "answer": statement.answer},
        )
    messages.success(request, _("記録しました。"))
    return redirect(reverse("dashboard:evidence") + f"#item-{item.id}")
