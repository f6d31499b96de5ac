"""Export requests: what leaves ShopGuard, for whom, approved by whom."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from policy.models import ThirdPartyProvision


class ExportRequest(models.Model):
    """A request to take customer data out of ShopGuard as a password-protected archive.

    A manager's request waits for an owner's approval (never their own); an owner's own
    request is approved when it is made. The archive can be downloaded once, by the person
    who asked, within DOWNLOAD_WINDOW of the approval.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("承認待ち")
        APPROVED = "approved", _("承認済み")
        REJECTED = "rejected", _("却下")
        DOWNLOADED = "downloaded", _("ダウンロード済み")

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
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    archive_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        # The model was born in the customers app; DESIGN and other tools know it as
        # ``customers.ExportRequest``, so it keeps that label, its table and migrations.
        app_label = "customers"
        ordering = ["-requested_at"]
        verbose_name = _("エクスポート申請")
        verbose_name_plural = _("エクスポート申請")
        permissions = [("approve_exportrequest", _("他の人のエクスポート申請を承認する"))]

    def __str__(self):
        return f"{_('エクスポート')} {str(self.pk)[:8]}"
