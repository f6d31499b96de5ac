"""Views of export requests: list, new request, decision, and the one-time download."""

import tempfile

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from customers import exports
from customers.models import Customer, ExportRequest
from customers.views import customer_work
from shopguard.log import looks_personal
from shopguard.reauth import require_recent_auth
from shopguard.roles import OWNER, has_role

PASSWORD_SESSION_KEY = "export-password-{}"


class ExportRequestForm(forms.ModelForm):
    fields = forms.MultipleChoiceField(
        label=_("項目"),
        widget=forms.CheckboxSelectMultiple,
        choices=[(f, Customer._meta.get_field(f).verbose_name) for f in exports.EXPORTABLE_FIELDS],
    )

    class Meta:
        model = ExportRequest
        fields = [
            "purpose",
            "recipient",
            "recipient_name",
            "recipient_address",
            "recipient_representative",
            "provision_basis",
            "consent_evidence",
            "fields",
        ]
        help_texts = {
            "recipient": _(
                "委託先（配送業者・決済代行など、お客様へのサービスのために業務を任せる先）への"
                "提供は第三者提供に当たらず、記録は不要です。第三者提供では、ダウンロード時に"
                "第三者提供記録が自動で作成されます。"
            ),
        }

    def clean_purpose(self):
        purpose = self.cleaned_data["purpose"]
        if looks_personal(purpose):
            raise ValidationError(exports.PERSONAL_PURPOSE_MESSAGE)
        return purpose

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("recipient") != ExportRequest.Recipient.INTERNAL and not cleaned.get(
            "recipient_name"
        ):
            self.add_error("recipient_name", _("社外への提供には提供先の名称が必要です。"))
        if cleaned.get("recipient") == ExportRequest.Recipient.THIRD_PARTY:
            for name in ("recipient_address", "recipient_representative", "provision_basis"):
                if not cleaned.get(name):
                    self.add_error(name, _("第三者提供の記録に必要です（個人情報保護法第29条）。"))
        return cleaned


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
    return render(request, "customers/export/list.html", {"exports": queryset[:200]})


@customer_work("customers.add_exportrequest")
@require_recent_auth
def export_new(request):
    form = ExportRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        export = exports.request_export(request.user, request=request, **form.cleaned_data)
        messages.success(request, _("エクスポートを申請しました。"))
        return redirect("exports:detail", pk=export.pk)
    return render(request, "customers/export/new.html", {"form": form})


@customer_work("customers.view_exportrequest")
def export_detail(request, pk):
    export = get_export_for(request, pk)
    context = {
        "export": export,
        "can_decide": has_role(request.user, OWNER)
        and export.requested_by_id != request.user.pk
        and export.status == ExportRequest.Status.PENDING,
        "download_problem": exports.download_problem(export, request.user),
    }
    return render(request, "customers/export/detail.html", context)


@customer_work("customers.approve_exportrequest")
@require_POST
@require_recent_auth
def export_decide(request, pk):
    export = get_export_for(request, pk)
    try:
        exports.decide(
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
    problem = exports.download_problem(export, request.user)
    if problem:
        messages.error(request, problem)
        return redirect("exports:detail", pk=export.pk)
    password = exports.new_archive_password()
    request.session[PASSWORD_SESSION_KEY.format(export.pk)] = password
    return render(
        request, "customers/export/password.html", {"export": export, "password": password}
    )


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
        exports.claim_download(export, request.user, password, archive, request=request)
    except ValidationError as error:
        archive.close()
        messages.error(request, " ".join(error.messages))
        return redirect("exports:detail", pk=export.pk)
    filename = f"shopguard-export-{str(export.pk)[:8]}.zip"
    return FileResponse(
        archive, as_attachment=True, filename=filename, content_type="application/zip"
    )
