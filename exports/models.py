"""Export requests: what leaves ShopGuard, for whom, approved by whom."""

import uuid
from datetime import timedelta
from typing import Any, Self

from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policy.models import ThirdPartyProvision

# An approval is for the task at hand, not a standing permit to take the list later.
DOWNLOAD_WINDOW = timedelta(hours=24)


class ExportRequest(models.Model):
    """A request to take customer data out of ShopGuard as a password-protected archive.

    Every request waits for another person's approval: an active owner who did not ask.
    Only where the asking owner is the shop's sole privileged person may they approve it
    themselves (``self_approved``), after confirming their password and typing a
    sentence; an approval by a person the requester created or promoted is flagged
    ``self_approved`` too (no independent second person looked at it).
    The archive holds the customers the request names (``scope``; frozen as
    ``customer_ids`` when it is made, except "all") and can be downloaded once, by the
    person who asked, within DOWNLOAD_WINDOW of the approval; after that it is expired.

    Its life is these methods, each setting the state and its stamps and saving:
    ``request`` (pending), then ``approve`` or ``reject``; an approved one is then
    ``mark_downloaded`` or, once ``is_due_to_expire``, ``expire``. A pending one may
    also be withdrawn (``withdraw``) by the person who asked, or cancelled (``cancel``)
    by an owner. (Preparing a download, which shows the archive's password, changes
    nothing here.) The ledger entry of each
    step is written by ``exports.services``, in the same transaction as the step.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("承認待ち")
        APPROVED = "approved", _("承認済み")
        REJECTED = "rejected", _("却下")
        DOWNLOADED = "downloaded", _("ダウンロード済み")
        EXPIRED = "expired", _("期限切れ")
        WITHDRAWN = "withdrawn", _("取り下げ")
        CANCELLED = "cancelled", _("取り消し")

    class Scope(models.TextChoices):
        ALL = "all", _("すべての顧客")
        SELECTED = "selected", _("顧客一覧で選んだ顧客")
        SEARCH = "search", _("完全一致検索の結果")
        PURCHASES = "purchases", _("期間・カテゴリで購入のある顧客")

    class Encoding(models.TextChoices):
        UTF8 = "utf-8-sig", _("UTF-8（BOM付き）")
        CP932 = "cp932", _("CP932（古いExcel向け）")

    class Language(models.TextChoices):
        JA = "ja", _("日本語")
        EN = "en", _("英語")

    class Recipient(models.TextChoices):
        INTERNAL = "internal", _("社内利用")
        CONTRACTOR = "contractor", _("委託先（配送・決済など）")
        THIRD_PARTY = "third_party", _("第三者提供")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, related_name="export_requests"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    purpose = models.CharField(_("利用目的"), max_length=300)
    recipient = models.CharField(_("提供先の区分"), max_length=20, choices=Recipient.choices)
    recipient_name = models.CharField(_("提供先の名称"), max_length=200, blank=True)
    # The recipient's entry in the outsourcee register (policy.Outsourcee), chosen on the
    # form or found by its name: the second person sees whether the shop registered it.
    outsourcee = models.ForeignKey(
        "policy.Outsourcee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="export_requests",
        verbose_name=_("提供先（登録簿）"),
    )
    # For a third party, the facts APPI art. 29 asks the provision record to keep.
    recipient_address = models.CharField(_("提供先の住所"), max_length=300, blank=True)
    recipient_representative = models.CharField(_("提供先の代表者"), max_length=200, blank=True)
    provision_basis = models.CharField(
        _("根拠（第4条の該当号）"),
        max_length=10,
        blank=True,
        choices=ThirdPartyProvision.Basis.choices,
    )
    consent_evidence = models.CharField(_("同意等の証跡"), max_length=300, blank=True)
    fields = models.JSONField(_("項目"), default=list)
    scope = models.CharField(
        _("対象の顧客"), max_length=20, choices=Scope.choices, default=Scope.ALL
    )
    # The customers named when the request was made (None for "all"): what the approver
    # was shown, and exactly what the archive holds.
    customer_ids = models.JSONField(null=True, blank=True)
    customer_count = models.PositiveIntegerField(_("顧客数"), default=0)
    purchases_from = models.DateField(_("購入日（から）"), null=True, blank=True)
    purchases_to = models.DateField(_("購入日（まで）"), null=True, blank=True)
    categories = models.JSONField(_("カテゴリ"), default=list, blank=True)
    include_purchases = models.BooleanField(_("購入履歴を含める"), default=False)
    include_sensitive = models.BooleanField(_("要配慮カテゴリの購入を含める"), default=False)
    encoding = models.CharField(
        _("文字コード"), max_length=12, choices=Encoding.choices, default=Encoding.UTF8
    )
    header_language = models.CharField(
        _("見出しの言語"), max_length=2, choices=Language.choices, default=Language.JA
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    self_approved = models.BooleanField(_("自己承認"), default=False)
    expired_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    archive_sha256 = models.CharField(max_length=64, blank=True)
    # Not stored: set on the request ``exports.services.request_export`` returns, how many
    # customers a third-party request left out (for the requester's message).
    left_out: int

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("エクスポート申請")
        verbose_name_plural = _("エクスポート申請")
        permissions = [
            ("approve_exportrequest", _("他の人のエクスポート申請を承認する")),
            ("view_takeout_ledger", _("持ち出し記録を読む")),
        ]

    def __str__(self):
        word = _("エクスポート")
        return f"{word} {str(self.pk)[:8]}"

    @classmethod
    def request(cls, requested_by: User, **fields: Any) -> Self:
        """A new request by ``requested_by`` (``fields``: the others), pending approval."""
        return cls.objects.create(requested_by=requested_by, status=cls.Status.PENDING, **fields)

    def approve(self, approver: User, appointee: bool = False) -> None:
        """Approved by ``approver``: self-approved when that is the requester, or a
        person the requester created or promoted (``appointee``)."""
        self._decide(approver, self.Status.APPROVED, appointee)

    def reject(self, person: User) -> None:
        self._decide(person, self.Status.REJECTED)

    def withdraw(self) -> None:
        """Withdrawn by the person who asked, before anyone decided."""
        self._decide(self.requested_by, self.Status.WITHDRAWN)

    def cancel(self, person: User) -> None:
        """Cancelled by ``person`` (an owner) while it waited."""
        self._decide(person, self.Status.CANCELLED)

    def scope_in_words(self) -> str:
        """Which customers, and how many, in words: what the requester and the second
        person both read before the request goes anywhere."""
        return _("%(scope)s（%(count)s人）") % {
            "scope": self.get_scope_display(),
            "count": f"{self.customer_count:,}",
        }

    def _decide(self, person: User, status: str, appointee: bool = False) -> None:
        self.status = status
        self.decided_by = person
        self.decided_at = timezone.now()
        # A withdrawal is the requester's own step, not an approval of anything; a
        # decision by someone the requester appointed counts as the requester's own.
        decision = status in (self.Status.APPROVED, self.Status.REJECTED)
        self.self_approved = decision and (person.pk == self.requested_by_id or appointee)
        self.save(update_fields=["status", "decided_by", "decided_at", "self_approved"])

    def mark_downloaded(self, *, row_count: int, archive_sha256: str) -> None:
        """Downloaded, as an archive of ``row_count`` rows with this SHA-256."""
        self.row_count = row_count
        self.archive_sha256 = archive_sha256
        self.status = self.Status.DOWNLOADED
        self.downloaded_at = timezone.now()
        self.save(update_fields=["row_count", "archive_sha256", "status", "downloaded_at"])

    def is_due_to_expire(self) -> bool:
        """Whether this export is to be marked expired now: approved, and not downloaded
        within DOWNLOAD_WINDOW of the approval. The one place expiry is decided.

        Asked, through ``exports.services.expire_if_due`` (and ``expire_due``, which asks
        it of every approved export), by: ``manage.py purge_exports``; the export list
        and the take-out ledger, before they are shown; looking an export up for its
        page, a decision, preparing or downloading it (``exports.views.get_export_for``);
        a decision, once its row is locked; and a download refused as too late.
        """
        if self.status != self.Status.APPROVED:
            return False
        return timezone.now() - self.decided_at > DOWNLOAD_WINDOW

    def expire(self) -> None:
        """Expired: the download window closed before anyone downloaded the archive."""
        self.status = self.Status.EXPIRED
        self.expired_at = timezone.now()
        self.save(update_fields=["status", "expired_at"])
