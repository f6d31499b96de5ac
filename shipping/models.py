"""Shipments, the owner's label routines and the one-time label files made under them."""

import uuid
from datetime import timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.validators import refuse_card_numbers
from shipping.carriers import CARRIER_CHOICES
from vault.encryption import EncryptedTextField

NO_CARDS = [refuse_card_numbers]
# A label file is for today's boxes, not a standing copy of the addresses.
LABEL_FILE_WINDOW = timedelta(hours=24)


def new_reference() -> str:
    """A shipment's own number (お客様管理番号 on the label): 12 letters and digits."""
    return uuid.uuid4().hex[:12].upper()


class Shipment(models.Model):
    """Purchases of one customer going out in one box, to the address on file or, for a
    gift, to another recipient (sealed like every personal field). 未発送 → ラベル作成済
    (in a label file) → 発送済 (with the carrier's tracking number)."""

    class State(models.TextChoices):
        UNSHIPPED = "unshipped", _("未発送")
        LABELLED = "labelled", _("ラベル作成済")
        SHIPPED = "shipped", _("発送済")

    # The pk exists before the first save: it is part of the sealed values' associated data.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(
        _("出荷番号"), max_length=20, unique=True, default=new_reference, editable=False
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="shipments"
    )
    purchases = models.ManyToManyField("customers.Purchase", blank=True, related_name="+")
    # A gift: another recipient. Blank: the customer's own name and address on file.
    recipient_name = EncryptedTextField(
        _("お届け先の氏名"), max_length=100, blank=True, validators=NO_CARDS
    )
    recipient_postal_code = EncryptedTextField(_("お届け先の郵便番号"), max_length=10, blank=True)
    recipient_address = EncryptedTextField(
        _("お届け先の住所"), max_length=300, blank=True, validators=NO_CARDS
    )
    recipient_phone = EncryptedTextField(
        _("お届け先の電話番号"), max_length=30, blank=True, validators=NO_CARDS
    )
    to_address_on_file = models.BooleanField(_("登録の住所へ送る"), default=True)
    state = models.CharField(
        _("状態"), max_length=12, choices=State.choices, default=State.UNSHIPPED, db_index=True
    )
    label_file = models.ForeignKey(
        "shipping.LabelFile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shipments",
    )
    tracking_number = models.CharField(_("送り状番号"), max_length=40, blank=True)
    shipped_at = models.DateTimeField(_("発送日時"), null=True, blank=True)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("出荷")
        verbose_name_plural = _("出荷")

    def __str__(self):
        return f"{_('出荷')} {self.reference}"


class LabelRoutine(models.Model):
    """The owner's standing approval of the daily label work: one carrier, its fields
    (the minimum the layout needs), a neutral 品名 per category and a daily cap. Within
    it staff and managers make label files without a second check; past the cap, the
    ordinary two-person export applies."""

    carrier = models.CharField(_("配送業者"), max_length=30, choices=CARRIER_CHOICES)
    # The carrier's entry in the outsourcee register (policy.Outsourcee): approving a
    # routine names it, adding it to the register when it is not there yet.
    outsourcee = models.ForeignKey(
        "policy.Outsourcee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="label_routines",
        verbose_name=_("委託先・提供先の登録簿"),
    )
    # {category code: the 品名 printed on the box}; sensitive categories default to 日用品.
    descriptions = models.JSONField(_("品名"), default=dict)
    daily_cap = models.PositiveIntegerField(
        _("1日の上限（件）"),
        default=200,
        validators=[MinValueValidator(1), MaxValueValidator(5000)],
    )
    sender_name = models.CharField(_("差出人の名称"), max_length=100)
    sender_postal_code = models.CharField(_("差出人の郵便番号"), max_length=10)
    sender_address = models.CharField(_("差出人の住所"), max_length=200)
    sender_phone = models.CharField(_("差出人の電話番号"), max_length=30)
    approved_by = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("承認日時"), default=timezone.now)
    active = models.BooleanField(_("有効"), default=True)

    class Meta:
        ordering = ["-approved_at"]
        verbose_name = _("ラベル作成の定型業務")
        verbose_name_plural = _("ラベル作成の定型業務")
        permissions = [("approve_labelroutine", _("ラベル作成の定型業務を承認する"))]

    def __str__(self):
        return _("%(carrier)s（1日%(cap)s件まで）") % {
            "carrier": self.get_carrier_display(),
            "cap": self.daily_cap,
        }


class LabelFile(models.Model):
    """One carrier file made under a routine: downloaded once by the person who made it,
    within LABEL_FILE_WINDOW; after that it is expired and its shipments wait again."""

    class Status(models.TextChoices):
        MADE = "made", _("作成済み")
        DOWNLOADED = "downloaded", _("ダウンロード済み")
        EXPIRED = "expired", _("期限切れ")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    routine = models.ForeignKey(LabelRoutine, on_delete=models.PROTECT, related_name="files")
    carrier = models.CharField(_("配送業者"), max_length=30, choices=CARRIER_CHOICES)
    made_by = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    shipment_count = models.PositiveIntegerField(_("件数"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.MADE)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-made_at"]
        verbose_name = _("ラベルファイル")
        verbose_name_plural = _("ラベルファイル")

    def __str__(self):
        return f"{_('ラベルファイル')} {str(self.pk)[:8]}"

    def is_due_to_expire(self) -> bool:
        """Made, not downloaded, and older than LABEL_FILE_WINDOW: the one place it is
        decided."""
        return self.status == self.Status.MADE and (
            timezone.now() - self.made_at > LABEL_FILE_WINDOW
        )
