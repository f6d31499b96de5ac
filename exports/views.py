"""Views of export requests: list, new request, decision, and the one-time download."""

import base64
import binascii
import tempfile
import uuid
from functools import wraps

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts import rules
from accounts.reauth import require_recent_auth
from audit.actions import Action, Outcome
from audit.ledger import record
from customers.services import recalled_search
from exports import services, takeout
from exports.admin_actions import SELECTED_SESSION_KEY
from exports.archive import new_archive_password
from exports.forms import ExportRequestForm
from exports.models import ExportRequest
from exports.services import ExportRefused
from vault.access import vault_view
from vault.encryption import DecryptionError, decrypt, encrypt

# The archive password waits in the session between the page that shows it and the
# download, encrypted (AES-256-GCM under the field keyring, never SECRET_KEY nor anything
# in the database) and bound to this session and this export as associated data. The
# session row is signed, not encrypted: read as it is, it would give the archive's
# password to anyone who can read the sessions table or a backup of it.
PASSWORD_SESSION_KEY = "export-password-{}"
# 持ち出し記録: every export, for the owner and the auditor.
TAKEOUT_LEDGER = "exports.view_takeout_ledger"


def _password_binding(request, export):
    return f"exports.archive_password:{request.session.session_key}:{export.pk}".encode()


def keep_password(request, export, password):
    """Keep ``password`` for this session's download of ``export``, encrypted."""
    if request.session.session_key is None:
        request.session.save()  # the binding needs the key the session will keep
    token = encrypt(password.encode(), _password_binding(request, export))
    request.session[PASSWORD_SESSION_KEY.format(export.pk)] = base64.b64encode(token).decode()


def take_password(request, export):
    """The password kept for ``export`` in this session (once), or None."""
    kept = request.session.pop(PASSWORD_SESSION_KEY.format(export.pk), None)
    if kept is None:
        return None
    try:
        return decrypt(base64.b64decode(kept), _password_binding(request, export)).decode()
    except (DecryptionError, binascii.Error, UnicodeDecodeError):
        # Another session's or export's value, or one sealed under a retired key: the
        # person is asked to show the password again.
        return None


def page(request, template, context, *, status=200):
    """An export page inside the admin's frame: its header with the person's name and
    sign-out, and its menu (the admin site's own context)."""
    return render(request, template, {**admin.site.each_context(request), **context}, status=status)


def refused_page(request, message, *, status=409, export=None):
    """A refusal as a page that says why (never a bare status)."""
    context = {"message": message, "export": export}
    return page(request, "exports/refused.html", context, status=status)


def get_export_for(request, pk):
    """The export ``pk`` if the person may see it (``accounts.rules.may_see_export``).

    An altered or foreign id is refused with a page and recorded; an approved export past
    its download window is expired as it is looked up.
    """
    try:
        export = ExportRequest.objects.get(pk=uuid.UUID(pk))
    except (ValueError, ExportRequest.DoesNotExist):
        export = None
    if export is not None and rules.may_see_export(request.user, export.requested_by_id):
        with transaction.atomic():
            services.expire_if_due(export, request=request)
        return export
    record(
        Action.ACCESS_REFUSED,
        request=request,
        outcome=Outcome.REFUSED,
        target=("exports.exportrequest", ""),
        detail={"reason": "unknown_export"},
    )
    raise ExportNotFound


class ExportNotFound(Exception):
    """No export the person may see has this id (recorded when raised)."""


def with_export(view):
    """Decorator: hand the view the export named by the URL, or answer a 404 page."""

    @wraps(view)
    def wrapper(request, pk, *args, **kwargs):
        try:
            export = get_export_for(request, pk)
        except ExportNotFound:
            return refused_page(request, _("このエクスポート申請は見つかりません。"), status=404)
        return view(request, export, *args, **kwargs)

    return wrapper


def detail_page(request, pk):
    """Where a refused export button sends the person back (the buttons live there)."""
    return reverse("exports:detail", args=[pk])


@vault_view("exports.view_exportrequest")
def export_list(request):
    with transaction.atomic():
        services.expire_due(request=request)
    queryset = ExportRequest.objects.select_related("requested_by", "decided_by")
    if not rules.sees_every_export(request.user):
        queryset = queryset.filter(requested_by=request.user)
    context = {
        "exports": queryset[:200],
        "can_read_ledger": request.user.has_perm(TAKEOUT_LEDGER),
    }
    return page(request, "exports/list.html", context)


@vault_view("exports.add_exportrequest")
@require_recent_auth
def export_new(request):
    search = recalled_search(request)
    selected = request.session.get(SELECTED_SESSION_KEY, [])
    form = ExportRequestForm(request.POST or None, selected=selected, search=search)
    if request.method == "POST":
        if form.is_valid():
            export = services.request_export(request.user, request=request, **form.cleaned_data)
            request.session.pop(SELECTED_SESSION_KEY, None)
            messages.success(request, _("エクスポートを申請しました。承認を待っています。"))
            if export.left_out:
                messages.info(
                    request,
                    _(
                        "第三者への提供の停止を求めたお客様%(count)s人は、この申請から除きました"
                        "（個人情報保護法第35条）。"
                    )
                    % {"count": export.left_out},
                )
            return redirect("exports:detail", pk=export.pk)
        services.refuse_request(request.user, form.error_codes(), request=request)
    status = 400 if form.is_bound else 200
    return page(request, "exports/new.html", {"form": form}, status=status)


@vault_view("exports.view_exportrequest")
@with_export
def export_detail(request, export):
    user = request.user
    own = rules.is_own(user, export.requested_by_id)
    pending = export.status == ExportRequest.Status.PENDING
    context = {
        "export": export,
        "can_decide": pending and rules.may_second_check(user, export.requested_by_id),
        "can_self_approve": pending and own and rules.may_self_approve(user),
        "can_withdraw": pending and own,
        "can_cancel": pending and rules.may_cancel_export(user, export.requested_by_id),
        "sentence": services.SELF_APPROVAL_SENTENCE,
        "field_labels": services.field_labels(export),
        "sensitive": services.includes_sensitive(export),
        "download_problem": services.download_problem(export, user),
    }
    return page(request, "exports/detail.html", context)


# Who may reach the decision and withdrawal buttons at all: who may ask for exports
# (owners and managers). Which request each may decide is accounts.rules' to say.
DECIDE_EXPORTS = "exports.add_exportrequest"


@vault_view(DECIDE_EXPORTS)
@require_POST
@require_recent_auth(back=detail_page)
@with_export
def export_decide(request, export):
    try:
        services.decide(
            export,
            request.user,
            approve=request.POST.get("decision") == "approve",
            confirmation=request.POST.get("confirmation", ""),
            request=request,
        )
    except ExportRefused as refusal:
        return refused_page(request, refusal.message, export=export)
    return redirect("exports:detail", pk=export.pk)


@vault_view(DECIDE_EXPORTS)
@require_POST
@with_export
def export_withdraw(request, export):
    """Withdraw one's own waiting request, or (an owner) cancel someone else's."""
    try:
        services.withdraw_or_cancel(export, request.user, request=request)
    except ExportRefused as refusal:
        return refused_page(request, refusal.message, export=export)
    return redirect("exports:detail", pk=export.pk)


@vault_view("exports.add_exportrequest")
@require_POST
@require_recent_auth(back=detail_page)
@with_export
def export_prepare(request, export):
    """Show the archive password once; the download itself is the next POST."""
    problem = services.download_problem(export, request.user)
    if problem:
        try:
            services.refuse(
                Action.EXPORT_DOWNLOAD,
                request.user,
                problem.reason,
                problem.message,
                export=export,
                request=request,
            )
        except ExportRefused as refusal:
            return refused_page(request, refusal.message, export=export)
    password = new_archive_password()
    keep_password(request, export, password)
    return page(request, "exports/password.html", {"export": export, "password": password})


def archive_file():
    """An unnamed temporary file for the archive: no name on disk, gone once closed."""
    return tempfile.TemporaryFile()


@vault_view("exports.add_exportrequest")
@require_POST
@require_recent_auth(back=detail_page)
@with_export
def export_download(request, export):
    password = take_password(request, export)
    if password is None:
        message = _("パスワードを表示してからダウンロードしてください。")
        return refused_page(request, message, export=export, status=400)
    archive = archive_file()
    try:
        services.claim_download(export, request.user, password, archive, request=request)
    except (ExportRefused, ValidationError) as refusal:
        archive.close()
        message = getattr(refusal, "message", None) or " ".join(refusal.messages)
        return refused_page(request, message, export=export)
    filename = f"shopguard-export-{str(export.pk)[:8]}.zip"
    return FileResponse(
        archive, as_attachment=True, filename=filename, content_type="application/zip"
    )


@vault_view(TAKEOUT_LEDGER)
def takeout_ledger(request):
    """持ち出し記録: every export, filtered by period and person; printable, or as CSV."""
    with transaction.atomic():
        services.expire_due(request=request)
    form = takeout.LedgerFilter(request.GET or None)
    exports = form.exports()
    if request.GET.get("format") == "csv":
        return takeout_csv(request, form, exports)
    rows = [takeout.row_of(export) for export in exports[:500]]
    label_rows = [takeout.label_row_of(f) for f in form.label_files()[:500]]
    context = {
        "form": form,
        "headers": takeout.headers(),
        "rows": rows,
        "label_headers": takeout.label_headers(),
        "label_rows": label_rows,
    }
    return page(request, "exports/ledger.html", context)


def takeout_csv(request, form, exports):
    record(Action.EXPORT_LEDGER_CSV, request=request, detail=form.as_detail())
    content = takeout.as_csv(exports, form.label_files())
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="takeout-ledger.csv"'
    return response
