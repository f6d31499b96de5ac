"""Views of export requests: list, new request, decision, and the one-time download."""

import base64
import binascii
import tempfile

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.reauth import require_recent_auth
from exports import services
from exports.archive import new_archive_password
from exports.forms import ExportRequestForm
from exports.models import ExportRequest
from shopguard.access import vault_view
from shopguard.encryption import DecryptionError, decrypt, encrypt
from shopguard.roles import OWNER, has_role

# The archive password waits in the session between the page that shows it and the
# download, encrypted (AES-256-GCM under the field keyring, never SECRET_KEY nor anything
# in the database) and bound to this session and this export as associated data. The
# session row is signed, not encrypted: read as it is, it would give the archive's
# password to anyone who can read the sessions table or a backup of it.
PASSWORD_SESSION_KEY = "export-password-{}"


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


def get_export_for(request, pk):
    """The export ``pk`` if the person may see it: owners all, others only their own."""
    export = get_object_or_404(ExportRequest, pk=pk)
    if not has_role(request.user, OWNER) and export.requested_by_id != request.user.pk:
        raise Http404
    return export


def detail_page(request, pk):
    """Where a refused export button sends the person back (the buttons live there)."""
    return reverse("exports:detail", args=[pk])


@vault_view("customers.view_exportrequest")
def export_list(request):
    queryset = ExportRequest.objects.select_related("requested_by", "decided_by")
    if not has_role(request.user, OWNER):
        queryset = queryset.filter(requested_by=request.user)
    return render(request, "exports/list.html", {"exports": queryset[:200]})


@vault_view("customers.add_exportrequest")
@require_recent_auth
def export_new(request):
    form = ExportRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        export = services.request_export(request.user, request=request, **form.cleaned_data)
        messages.success(request, _("エクスポートを申請しました。"))
        return redirect("exports:detail", pk=export.pk)
    return render(request, "exports/new.html", {"form": form})


@vault_view("customers.view_exportrequest")
def export_detail(request, pk):
    export = get_export_for(request, pk)
    context = {
        "export": export,
        "can_decide": has_role(request.user, OWNER)
        and export.requested_by_id != request.user.pk
        and export.status == ExportRequest.Status.PENDING,
        "download_problem": services.download_problem(export, request.user),
    }
    return render(request, "exports/detail.html", context)


@vault_view("customers.approve_exportrequest")
@require_POST
@require_recent_auth(back=detail_page)
def export_decide(request, pk):
    export = get_export_for(request, pk)
    try:
        services.decide(
            export, request.user, approve=request.POST.get("decision") == "approve", request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("exports:detail", pk=export.pk)


@vault_view("customers.add_exportrequest")
@require_POST
@require_recent_auth(back=detail_page)
def export_prepare(request, pk):
    """Show the archive password once; the download itself is the next POST."""
    export = get_export_for(request, pk)
    problem = services.download_problem(export, request.user)
    if problem:
        messages.error(request, problem)
        return redirect("exports:detail", pk=export.pk)
    password = new_archive_password()
    keep_password(request, export, password)
    return render(request, "exports/password.html", {"export": export, "password": password})


@vault_view("customers.add_exportrequest")
@require_POST
@require_recent_auth(back=detail_page)
def export_download(request, pk):
    export = get_export_for(request, pk)
    password = take_password(request, export)
    if password is None:
        messages.error(request, _("パスワードを表示してからダウンロードしてください。"))
        return redirect("exports:detail", pk=export.pk)
    archive = tempfile.TemporaryFile()
    try:
        services.claim_download(export, request.user, password, archive, request=request)
    except ValidationError as error:
        archive.close()
        messages.error(request, " ".join(error.messages))
        return redirect("exports:detail", pk=export.pk)
    filename = f"shopguard-export-{str(export.pk)[:8]}.zip"
    return FileResponse(
        archive, as_attachment=True, filename=filename, content_type="application/zip"
    )
