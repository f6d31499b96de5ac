"""Customers' own requests about their information (APPI arts. 32-35): the request,
its identity check by a mailed code, the shop's steps, and the one-time download that
answers a disclosure."""

import hashlib
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from customers.validators import refuse_card_numbers
from vault.encryption import EncryptedTextField


def _token_digest(token):
    """The SHA-256 of a link's token: what is stored instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


class DataRequest(models.Model):
    """A customer's own request about their information (Article 6, APPI arts. 32-35)."""

    class Kind(models.TextChoices):
        PURPOSES = "purposes", _("利用目的の通知")
        DISCLOSE = "disclose", _("開示（内容を知りたい）")
        CORRECT = "correct", _("訂正")
        STOP_USE = "stop_use", _("利用停止")
        DELETE = "delete", _("削除")
        STOP_PROVISION = "stop_provision", _("第三者提供の停止")

    class Step(models.TextChoices):
        RECEIVED = "received", _("受付済み（本人確認待ち）")
        IDENTITY_CONFIRMED = "identity_confirmed", _("本人確認済み")
        IN_PROGRESS = "in_progress", _("対応中")
        DONE = "done", _("対応完了")
        REFUSED = "refused", _("お断り")
        CLOSED = "closed", _("本人確認できず終了")

    # The identity check: a code mailed to the address on file, valid this long, with
    # this many tries; after that the request is closed and a new one must be made.
    CODE_VALID_FOR = timedelta(minutes=30)
    CODE_ATTEMPTS = 3
    # The shop answers within 14 days of the proof ("without delay", APPI art. 33) and is
    # warned from day 10, leaving four days to finish.
    DUE_AFTER_DAYS = 14
    WARN_FROM_DAY = 10

    # The pk exists before the first save: it binds the encrypted fields to this row.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("受付番号"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("ご請求の種類"), max_length=20, choices=Kind.choices)
    name = EncryptedTextField(_("お名前"), max_length=100)
    email = EncryptedTextField(_("メールアドレス"), max_length=254)
    phone = EncryptedTextField(_("電話番号"), max_length=30, blank=True)
    details = EncryptedTextField(_("ご請求の内容"), max_length=2000, blank=True)
    # The owner's own note: it refuses card numbers like every other text kept here.
    note = EncryptedTextField(
        _("対応メモ"), max_length=2000, blank=True, validators=[refuse_card_numbers]
    )
    # Told to the customer by mail; the ledger keeps only the fact of the refusal.
    refusal_reason = EncryptedTextField(
        _("お断りの理由"), max_length=2000, blank=True, validators=[refuse_card_numbers]
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="data_requests",
        verbose_name=_("該当する顧客"),
    )
    step = models.CharField(
        _("進捗"), max_length=20, choices=Step.choices, default=Step.RECEIVED, db_index=True
    )
    received_at = models.DateTimeField(_("受付日時"), default=timezone.now)
    identity_confirmed_at = models.DateTimeField(_("本人確認日時"), null=True, blank=True)
    identity_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(_("完了日時"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The keyed digest of the typed address (vault.blind_index), never the address:
    # it finds an open request from the same address whether or not it is a customer's.
    email_digest = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    # Only the code's keyed hash is kept; a request from an unknown address gets the hash
    # of a code nobody was sent, so it answers every try the same way.
    code_hash = models.CharField(max_length=64, blank=True, editable=False)
    code_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    code_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    # Not stored: set on the request ``datarequests.services.receive_data_request``
    # returns, the address of its own page (the one its identity-check mail links to).
    page_path: str

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("個人情報に関するご請求")
        verbose_name_plural = _("個人情報に関するご請求")
        permissions = [("erase_datarequest", _("ご請求に応じて顧客の個人情報を消去する"))]

    def __str__(self):
        return self.reference

    def save(self, *args, **kwargs):
        if not self.reference:
            self.reference = f"REQ-{secrets.token_hex(4).upper()}"
        super().save(*args, **kwargs)

    # The shop's steps, in order; the identity check (the customer's code) comes before.
    NEXT_STEP = {Step.IDENTITY_CONFIRMED: Step.IN_PROGRESS, Step.IN_PROGRESS: Step.DONE}
    OPEN_STEPS = (Step.RECEIVED, Step.IDENTITY_CONFIRMED, Step.IN_PROGRESS)

    def advance(self, user: User) -> str:
        """Move to the next step of the shop's work, stamping who and when; return it."""
        new_step = self.NEXT_STEP.get(self.step)
        if new_step is None:
            raise ValueError("This request cannot move on from its step.")
        self.step = new_step
        fields = ["step"]
        if new_step == self.Step.DONE:
            self.done_at, self.done_by = timezone.now(), user
            fields += ["done_at", "done_by"]
        self.save(update_fields=fields)
        return new_step

    @property
    def is_open(self):
        return self.step in self.OPEN_STEPS

    # Deletion and stop of use are both answered by erasing the customer's personal data
    # (APPI art. 35): done only through the erasure, never by a plain step.
    ERASURE_KINDS = (Kind.DELETE, Kind.STOP_USE)

    @property
    def asks_erasure(self):
        return self.kind in self.ERASURE_KINDS

    def forget_contact(self):
        """Erase what the requester typed and the digest of their address (the prefix of
        the customer's search index): the reference, kind and steps stay as the record."""
        for field in ("name", "email", "phone", "details", "note", "refusal_reason"):
            setattr(self, field, "")
        self.email_digest = self.code_hash = ""
        self.save()

    @property
    def due_at(self):
        """When the answer is due: 14 days after the identity check (None before it)."""
        if self.identity_confirmed_at is None:
            return None
        return self.identity_confirmed_at + timedelta(days=self.DUE_AFTER_DAYS)

    def days_left(self):
        """Whole days until the due date in Japan time (negative once overdue)."""
        return (timezone.localdate(self.due_at) - timezone.localdate()).days

    def is_warned(self):
        return self.days_left() <= self.DUE_AFTER_DAYS - self.WARN_FROM_DAY

    def refuse(self, user, reason):
        """Close an open request as refused, keeping the reason the customer is told."""
        if not self.is_open:
            raise ValueError("Only an open request can be refused.")
        self.step, self.refusal_reason = self.Step.REFUSED, reason
        self.done_at, self.done_by = timezone.now(), user
        self.save(update_fields=["step", "refusal_reason", "done_at", "done_by"])

    @staticmethod
    def code_digest(reference, code):
        """The keyed hash of a code, bound to its request's reference. The salt keeps the
        name of the app the requests began in: codes already mailed must still match."""
        return salted_hmac("policy.data_request_code", f"{reference}:{code}").hexdigest()

    def issue_code(self, *, send):
        """A fresh 6-digit code (stored hashed, valid CODE_VALID_FOR); returned only when
        ``send`` (the address is on file), otherwise kept by nobody."""
        if not self.reference:
            self.reference = f"REQ-{secrets.token_hex(4).upper()}"
        code = f"{secrets.randbelow(10**6):06d}"
        self.code_hash = self.code_digest(self.reference, code)
        self.code_expires_at = timezone.now() + self.CODE_VALID_FOR
        return code if send else None

    def try_code(self, code: str) -> str | None:
        """Count one try of ``code`` (the row is locked by the caller); return the new step,
        or None when the request takes no more codes."""
        if self.step != self.Step.RECEIVED:
            return None
        self.code_attempts += 1
        if timezone.now() > self.code_expires_at:
            self.step = self.Step.CLOSED
        elif constant_time_compare(self.code_digest(self.reference, code), self.code_hash):
            self.step, self.identity_confirmed_at = self.Step.IDENTITY_CONFIRMED, timezone.now()
        elif self.code_attempts >= self.CODE_ATTEMPTS:
            self.step = self.Step.CLOSED
        self.save(update_fields=["step", "code_attempts", "identity_confirmed_at"])
        return self.step


class DisclosureLink(models.Model):
    """The one-time download of a customer's own data, answering a disclosure request.

    Only the SHA-256 of the random token is stored, and the link names nobody; it works
    once, within LIFETIME of the request being done.
    """

    # A week: time to find the shop's mail, short enough that a forgotten or forwarded
    # link stops working.
    LIFETIME = timedelta(days=7)

    data_request = models.OneToOneField(
        DataRequest, on_delete=models.CASCADE, related_name="disclosure_link"
    )
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("開示のダウンロードリンク")
        verbose_name_plural = _("開示のダウンロードリンク")

    def __str__(self):
        return str(self.data_request)

    @classmethod
    def issue(cls, data_request):
        """Create the request's link and return its token (mailed once, kept by nobody)."""
        token = secrets.token_urlsafe(32)
        cls.objects.create(
            data_request=data_request,
            token_digest=_token_digest(token),
            expires_at=timezone.now() + cls.LIFETIME,
        )
        return token

    @classmethod
    def find(cls, token):
        """The link for ``token`` whatever its state (used, expired), or None."""
        found = cls.objects.select_related("data_request").filter(
            token_digest=_token_digest(token or "")
        )
        return found.first()

    @property
    def is_usable(self):
        return self.used_at is None and timezone.now() < self.expires_at
