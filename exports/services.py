"""Exports: the one way customer data leaves ShopGuard, as an AES-256 archive.

A request names its purpose, its recipient and the fields it needs. A manager's request
waits for an owner's approval; an owner's own request is approved when made (the owner
may take everything, and it is still recorded). The person who asked downloads it once,
within DOWNLOAD_WINDOW, after re-authentication; the archive is a zip encrypted with
AES-256 (WinZip AES) under a password shown to them once. Every step is in the ledger,
written in the same transaction as the step itself.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.actions import Action
from audit.ledger import record
from customers.fields import EXPORTABLE_FIELDS, PROVISION_ITEMS
from exports.archive import sha256_of, write_archive
from exports.models import ExportRequest
from shopguard.log import looks_personal
from shopguard.roles import OWNER, role_of

# An approval is for the task at hand, not a standing permit to take the list later.
DOWNLOAD_WINDOW = timedelta(hours=24)
# Which fields may leave (EXPORTABLE_FIELDS, card data never) and their items in the
# provision record (PROVISION_ITEMS) are declared with each field in customers.fields.
PERSONAL_PURPOSE_MESSAGE = gettext_lazy(
    "利用目的にメールアドレスや電話番号などの個人情報を書かないでください。"
)


def request_export(user, *, purpose, recipient, fields, request=None, **recipient_facts):
    """Create an export request; an owner's own request is approved at once.

    ``recipient_facts`` are the optional recipient_name, recipient_address,
    recipient_representative, provision_basis and consent_evidence.
    """
    unknown = set(fields) - set(EXPORTABLE_FIELDS)
    if not fields or unknown:
        raise ValidationError(_("エクスポートできる項目を1つ以上選んでください。"))
    if looks_personal(purpose):
        raise ValidationError(PERSONAL_PURPOSE_MESSAGE)
    with transaction.atomic():
        export = ExportRequest.objects.create(
            requested_by=user,
            purpose=purpose,
            recipient=recipient,
            **recipient_facts,
            fields=[f for f in EXPORTABLE_FIELDS if f in fields],
        )
        record(
            Action.EXPORT_REQUEST, request=request, actor=user, target=export, detail=_facts(export)
        )
        if role_of(user) == OWNER:
            _decide(export, user, approve=True, request=request, self_approved=True)
    return export


def decide(export, approver, *, approve, request=None):
    """Approve or reject someone else's pending request (owners only)."""
    if role_of(approver) != OWNER or approver.pk == export.requested_by_id:
        raise PermissionDenied
    with transaction.atomic():
        export = ExportRequest.objects.select_for_update().get(pk=export.pk)
        if export.status != ExportRequest.Status.PENDING:
            raise ValidationError(_("この申請はすでに処理されています。"))
        _decide(export, approver, approve=approve, request=request)
    return export


def _decide(export, approver, *, approve, request, self_approved=False):
    export.status = ExportRequest.Status.APPROVED if approve else ExportRequest.Status.REJECTED
    export.decided_by = approver
    export.decided_at = timezone.now()
    export.save(update_fields=["status", "decided_by", "decided_at"])
    record(
        Action.EXPORT_APPROVE if approve else Action.EXPORT_REJECT,
        request=request,
        actor=approver,
        target=export,
        detail={"self_approved": self_approved},
    )


def download_problem(export, user):
    """Why ``user`` may not download ``export`` now, or None when they may."""
    if export.requested_by_id != user.pk:
        return _("ダウンロードできるのは申請した本人だけです。")
    if export.status == ExportRequest.Status.DOWNLOADED:
        return _("このエクスポートはすでにダウンロードされています。")
    if export.status != ExportRequest.Status.APPROVED:
        return _("このエクスポートはまだ承認されていません。")
    if timezone.now() - export.decided_at > DOWNLOAD_WINDOW:
        return _("承認から24時間が過ぎたため、ダウンロードできません。もう一度申請してください。")
    return None


def claim_download(export, user, password, fileobj, *, request=None):
    """Write the archive to ``fileobj`` and mark the export downloaded, in one transaction.

    The download is recorded only if the archive was written, and the archive is handed
    out only once its record is committed; a second claim finds the export downloaded.
    The entry names every customer the archive carried, so "who looked at this customer"
    shows the copy that left.
    """
    with transaction.atomic():
        export = ExportRequest.objects.select_for_update().get(pk=export.pk)
        problem = download_problem(export, user)
        if problem:
            raise ValidationError(problem)
        carried = []  # every customer the archive holds: the download entry names them
        export.row_count = write_archive(fileobj, export.fields, password, carried=carried)
        export.archive_sha256 = sha256_of(fileobj)
        export.status = ExportRequest.Status.DOWNLOADED
        export.downloaded_at = timezone.now()
        export.save(update_fields=["row_count", "archive_sha256", "status", "downloaded_at"])
        record(
            Action.EXPORT_DOWNLOAD,
            request=request,
            actor=user,
            target=export,
            customers=carried,
            detail=_facts(export),
        )
        if export.recipient == ExportRequest.Recipient.THIRD_PARTY:
            _record_provision(export, carried, request=request, actor=user)
    return export


def _record_provision(export, carried, *, request, actor):
    """Keep the third-party provision record for a downloaded third-party export."""
    from policy.services import record_provision

    record_provision(
        recipient_name=export.recipient_name,
        recipient_address=export.recipient_address,
        recipient_representative=export.recipient_representative,
        provided_on=timezone.localdate(),
        customers=carried,
        data_items=sorted({PROVISION_ITEMS[f] for f in export.fields}),
        basis=export.provision_basis,
        consent_evidence=export.consent_evidence,
        request=request,
        actor=actor,
    )


def _facts(export):
    """Non-personal facts of an export for its ledger entries."""
    return {
        "fields": export.fields,
        "recipient": export.recipient,
        "rows": export.row_count,
        "purpose": export.purpose,
    }


def pending_for(user):
    """The export requests waiting on ``user``: for an owner, other people's requests to
    approve; for a manager, their own not yet approved or approved and not yet
    downloaded (with its state). Oldest first."""
    open_states = [ExportRequest.Status.PENDING, ExportRequest.Status.APPROVED]
    requests = ExportRequest.objects.select_related("requested_by").order_by("requested_at")
    if role_of(user) == OWNER:
        return requests.filter(status=ExportRequest.Status.PENDING).exclude(requested_by=user)
    return requests.filter(requested_by=user, status__in=open_states)


def downloads_since(since):
    """How many archives were downloaded since ``since``, and how many of them were
    self-approved (the owner's own request: no second person looked at it)."""
    downloaded = ExportRequest.objects.filter(downloaded_at__gte=since)
    self_approved = downloaded.filter(decided_by=models.F("requested_by"))
    return downloaded.count(), self_approved.count()
