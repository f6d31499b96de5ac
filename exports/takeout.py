"""The take-out ledger (持ち出し記録): every export in one place, for owner and auditor.

One row per export with who asked, who approved (self-approved flagged), purpose,
recipient and its facts, fields, customer count, archive SHA-256 and the times of
request, decision, download and expiry; then every carrier's label file (hash, count,
carrier, routine and its approver, who made it, when); filtered by period and person; as
a printable page or as CSV (Japanese headers, Japan time, BOM). It holds no personal data.
"""

import csv
import io

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.fields import label
from exports.models import ExportRequest
from shipping.models import LabelFile
from vault.spreadsheet import safe_cell


class LedgerFilter(forms.Form):
    since = forms.DateField(label=gettext_lazy("申請日（から）"), required=False)
    until = forms.DateField(label=gettext_lazy("申請日（まで）"), required=False)
    person = forms.ModelChoiceField(
        label=gettext_lazy("申請者または承認者"),
        queryset=get_user_model().objects.none(),
        required=False,
        to_field_name="username",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = get_user_model().objects.order_by("username")

    def exports(self):
        """The exports the valid filters select, newest first (all when none is valid)."""
        queryset = ExportRequest.objects.select_related("requested_by", "decided_by")
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("since"):
            queryset = queryset.filter(requested_at__date__gte=data["since"])
        if data.get("until"):
            queryset = queryset.filter(requested_at__date__lte=data["until"])
        if data.get("person"):
            person = data["person"]
            queryset = queryset.filter(requested_by=person) | queryset.filter(decided_by=person)
        return queryset.order_by("-requested_at")

    def label_files(self):
        """The carriers' label files the same filters select (made in the period, made
        by the person or under a routine they approved), newest first."""
        queryset = LabelFile.objects.select_related("made_by", "routine__approved_by")
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("since"):
            queryset = queryset.filter(made_at__date__gte=data["since"])
        if data.get("until"):
            queryset = queryset.filter(made_at__date__lte=data["until"])
        if data.get("person"):
            person = data["person"]
            queryset = queryset.filter(made_by=person) | queryset.filter(
                routine__approved_by=person
            )
        return queryset.order_by("-made_at")

    def as_detail(self):
        """The filters for the ledger entry: dates and a username, nothing personal."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "since": str(data.get("since") or ""),
            "until": str(data.get("until") or ""),
            "person": data["person"].username if data.get("person") else "",
        }


def japan_time(moment):
    """``2026年12月2日 14:05`` in Japan time, or "" for none."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def row_of(export):
    """One ledger row: plain text cells, in the order of ``headers()``."""
    recipient = export.get_recipient_display()
    if export.recipient_name:
        recipient = f"{recipient}：{export.recipient_name}"
    facts = [export.recipient_address, export.recipient_representative, export.consent_evidence]
    return [
        str(export.pk),
        export.get_status_display(),
        export.requested_by.username,
        export.decided_by.username if export.decided_by else "",
        _("自己承認") if export.self_approved else "",
        export.purpose,
        recipient,
        " / ".join(f for f in facts if f),
        export.get_scope_display(),
        export.row_count if export.row_count is not None else export.customer_count,
        "、".join(str(label(f)) for f in export.fields),
        (_("要配慮を含む") if export.include_sensitive else _("含む"))
        if export.include_purchases
        else "",
        export.archive_sha256,
        japan_time(export.requested_at),
        japan_time(export.decided_at),
        japan_time(export.downloaded_at),
        japan_time(export.expired_at),
    ]


def headers():
    return [
        _("申請"),
        _("状態"),
        _("申請者"),
        _("承認者"),
        _("自己承認"),
        _("利用目的"),
        _("提供先"),
        _("提供先の情報"),
        _("対象の顧客"),
        _("顧客数"),
        _("項目"),
        _("購入履歴"),
        _("SHA-256"),
        _("申請日時"),
        _("判断日時"),
        _("ダウンロード日時"),
        _("期限切れ日時"),
    ]


def label_row_of(label_file):
    """One label file's row: plain text cells, in the order of ``label_headers()``."""
    routine = label_file.routine
    return [
        str(label_file.pk),
        label_file.get_status_display(),
        label_file.made_by.username,
        label_file.get_carrier_display(),
        _("%(routine)s、%(owner)s が承認")
        % {"routine": routine, "owner": routine.approved_by.username},
        label_file.shipment_count,
        label_file.file_sha256,
        japan_time(label_file.made_at),
        japan_time(label_file.downloaded_at),
        japan_time(label_file.expired_at),
    ]


def label_headers():
    return [
        _("ラベルファイル"),
        _("状態"),
        _("作った人"),
        _("配送業者"),
        _("定型業務"),
        _("件数"),
        _("SHA-256"),
        _("作成日時"),
        _("ダウンロード日時"),
        _("期限切れ日時"),
    ]


def label_files_title():
    return _("配送業者のラベルファイル（委託）")


def as_csv(exports, label_files=()):
    """The ledger as CSV text with a BOM (Excel opens it as UTF-8): the exports' table,
    then, as on the page, an empty line, the label files' title and their own table."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(headers())
    for export in exports:
        writer.writerow([safe_cell(cell) for cell in row_of(export)])
    writer.writerow([])
    writer.writerow([label_files_title()])
    writer.writerow(label_headers())
    for label_file in label_files:
        writer.writerow([safe_cell(cell) for cell in label_row_of(label_file)])
    return out.getvalue()
