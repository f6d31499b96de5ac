"""Views of export requests: list, new request, decision, and the one-time download."""

import tempfile

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.reauth import require_recent_auth
from customers.views import customer_work
from exports import services
from exports.archive import new_archive_password
from exports.forms import ExportRequestForm
from exports.models import ExportRequest
from shopguard.roles import OWNER, has_role

PASSWORD_SESSION_KEY = "export-password-{}"


def get_export_for(request, pk):
    """The export ``pk`` if the person may see it: owners all, others only their own."""
    export = get_object_or_404(ExportRequest, pk=pk)
    if not has_role(request.user, OWNER) and export.requested_by_id != request.user.pk:
        raise Http404
    return export


@customer_work("customers.view_exportrequest")
def export_list(request):
    queryset = ExportRequest.objects.select_related("requested_by", "decided_by")
    if not has_role(request.user, OWNER):
        queryset = queryset.filter(requested_by=request.user)
    return render(request, "exports/list.html", {"exports": queryset[:200]})


@customer_work("customers.add_exportrequest")
@require_recent_auth
def export_new(request):
    form = ExportRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        export = services.request_export(request.user, request=request, **form.cleaned_data)
        messages.success(request, _("エクスポートを申請しました。"))
        return redirect("exports:detail", pk=export.pk)
    return render(request, "exports/new.html", {"form": form})


@customer_work("customers.view_exportrequest")
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


@customer_work("customers.approve_exportrequest")
@require_POST
@require_recent_auth
def export_decide(request, pk):
    export = get_export_for(request, pk)
    try:
        services.decide(
            export, request.user, approve=request.POST.get("decision") == "approve", request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("exports:detail", pk=export.pk)


@customer_work("customers.add_exportrequest")
@require_POST
@require_recent_auth
def export_prepare(request, pk):
    """Show the archive password once; the download itself is the next POST."""
    export = get_export_for(request, pk)
    problem = services.download_problem(export, request.user)
    if problem:
        messages.error(request, problem)
        return redirect("exports:detail", pk=export.pk)
    password = new_archive_password()
    request.session[PASSWORD_SESSION_KEY.format(export.pk)] = password
    return render(request, "exports/password.html", {"export": export, "password": password})


@customer_work("customers.add_exportrequest")
@require_POST
@require_recent_auth
def export_download(request, pk):
    export = get_export_for(request, pk)
    password = request.session.pop(PASSWORD_SESSION_KEY.format(export.pk), None)
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
