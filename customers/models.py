"""Customers and their purchases. Every personal field is encrypted (vault.encryption);
e-mail, phone and name carry a blind index for exact search."""

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, RegexValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from customers.fields import PERSONAL_FIELDS, fold, label
from customers.platforms import mapped_layout
from customers.validators import (
    CARD_NUMBER_MESSAGE,
    contains_card_number,
    refuse_card_numbers,
    validate_phone,
)
from vault.blind_index import blind_index
from vault.encryption import (
    EncryptedRecordField,
    EncryptedTextField,
    RecordQuerySet,
    encrypted_values,
    record_columns,
)
from vault.japan import normalise_postal_code

# Every personal text field refuses card numbers (DESIGN invariant 4).
NO_CARDS = [refuse_card_numbers]
validate_card_last4 = RegexValidator(
    r"^[0-9]{4}$", _("カード下4桁は半角数字4桁で入力してください。"), code="card_last4"
)
validate_card_exp = RegexValidator(
    r"^(0[1-9]|1[0-2])/([0-9]{2}|[0-9]{4})$",
    _("有効期限は MM/YY または MM/YYYY の形式で入力してください。"),
    code="card_exp",
)
_POSTAL_CODE = re.compile(r"^[0-9]{3}-?[0-9]{4}$")


def validate_postal_code(value):
    """Validator: a Japanese postal code, 123-4567 or 1234567 (full width, with 〒 too)."""
    if value and not _POSTAL_CODE.match(normalise_postal_code(value)):
        raise ValidationError(_("郵便番号は 123-4567 の形式で入力してください。"), code="postal")


# The personal fields searchable exactly, each through its own blind index "<kind>_index".
BLIND_INDEX_KINDS = ("email", "phone", "name", "name_kana")
BLIND_INDEX_FIELDS = tuple(f"{kind}_index" for kind in BLIND_INDEX_KINDS)

ANONYMISED_NAME = "匿名化済み"
ANONYMISED_PRODUCT = "（匿名化済み）"


class Gender(models.TextChoices):
    FEMALE = "female", _("女性")
    MALE = "male", _("男性")
    OTHER = "other", _("その他")
    UNANSWERED = "unanswered", _("回答しない")


def personal_field(name, **kwargs):
    """Personal field ``name`` (customers.fields), encrypted inside the ``sealed`` record."""
    return EncryptedTextField(label(name), record="sealed", **kwargs)


# What anonymising a customer also does in the apps above this one, which hold the
# customer's data elsewhere (shipping: gift recipients and tracking numbers): each offers
# a function of the customer from its AppConfig.ready() with ``also_when_anonymising``
# (customers imports no app above it). They run inside ``Customer.anonymise``, in the
# caller's transaction.
ANONYMISING: list[Callable[["Customer"], None]] = []


def also_when_anonymising(forget: Callable[["Customer"], None]) -> None:
    """Have ``forget(customer)`` run whenever a customer is anonymised (by the owner, by
    the customer's erasure request, or by retention)."""
    if forget not in ANONYMISING:
        ANONYMISING.append(forget)


class Customer(models.Model):
    # The pk exists before the first save: it is part of the associated data.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Every personal field below lives in this one encrypted column (record="sealed"): a
    # customer is read whole, so one decryption per row instead of eleven.
    sealed = EncryptedRecordField()
    name = personal_field("name", max_length=100, validators=NO_CARDS)
    name_kana = personal_field("name_kana", max_length=100, blank=True, validators=NO_CARDS)
    gender = personal_field(
        "gender", max_length=20, choices=Gender.choices, default=Gender.UNANSWERED
    )
    postal_code = personal_field(
        "postal_code", max_length=10, blank=True, validators=[validate_postal_code]
    )
    address = personal_field("address", max_length=300, blank=True, validators=NO_CARDS)
    phone = personal_field(
        "phone", max_length=30, blank=True, validators=[*NO_CARDS, validate_phone]
    )
    email = personal_field(
        "email", max_length=254, blank=True, validators=[*NO_CARDS, EmailValidator()]
    )
    card_token = personal_field(
        "card_token",
        max_length=100,
        blank=True,
        validators=NO_CARDS,
        help_text=_("決済代行会社が発行したトークン。カード番号は入力できません。"),
    )
    card_brand = personal_field("card_brand", max_length=20, blank=True, validators=NO_CARDS)
    card_last4 = personal_field(
        "card_last4", max_length=4, blank=True, validators=[validate_card_last4]
    )
    card_exp = personal_field(
        "card_exp",
        max_length=7,
        blank=True,
        validators=[validate_card_exp],
        help_text=_("MM/YY または MM/YYYY"),
    )
    email_index = models.CharField(max_length=16, blank=True, db_index=True, editable=False)
    phone_index = models.CharField(max_length=16, blank=True, db_index=True, editable=False)
    name_index = models.CharField(max_length=16, blank=True, db_index=True, editable=False)
    name_kana_index = models.CharField(max_length=16, blank=True, db_index=True, editable=False)
    # The shop platform's own id for this customer ("shopify:6578823274658"), kept from an
    # import so that a re-import updates by it. A platform's id is an identifier, not a
    # personal field: it names nobody without the platform's own records.
    external_id = models.CharField(
        _("外部ID"), max_length=80, blank=True, db_index=True, editable=False
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    anonymised_at = models.DateTimeField(_("匿名化日時"), null=True, blank=True, editable=False)
    # Set when the customer's request to stop provision to third parties (APPI art. 35) is
    # done: exports to third parties leave them out (policy.services).
    third_party_stopped_at = models.DateTimeField(
        _("第三者提供の停止日時"), null=True, blank=True, editable=False
    )

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # The list page's order: without this index every page sorts the whole table.
        indexes = [models.Index(fields=["-created_at", "-id"], name="customer_newest_first")]
        verbose_name = _("顧客")
        verbose_name_plural = _("顧客")
        permissions = [
            ("reveal_customer", _("顧客の個人情報を表示する")),
            ("reveal_without_quota", _("1時間あたりの上限なしで顧客の個人情報を表示する")),
            ("import_customers", _("顧客をインポートする")),
        ]

    def __str__(self):
        word = _("顧客")
        return f"{word} {self.short_id}"

    def save(self, *args, **kwargs):
        refuse_card_numbers_in(self)
        # Only values already in plaintext: a value still sealed kept its index, and
        # saving must not decrypt (saving is not a read, vault.reads).
        self.refresh_blind_indexes(loaded_only=True)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            columns = record_columns(Customer, update_fields)  # a personal field: its record
            kwargs["update_fields"] = {*columns, *BLIND_INDEX_FIELDS}
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None):
        """Fold typed values (full width, half width, hyphens) before validating them."""
        for field in encrypted_values(Customer):
            value = self.__dict__.get(field.attname)
            if isinstance(value, str) and field.name not in (exclude or ()):
                if (folded := fold(field.name, value)) != value:
                    setattr(self, field.name, folded)
        super().clean_fields(exclude=exclude)

    @property
    def short_id(self):
        return str(self.pk)[:8]

    def refresh_blind_indexes(self, loaded_only=False):
        """Recompute the blind indexes from the current plaintext values (with
        ``loaded_only``, only of values read or set since loading; nothing is decrypted)."""
        for kind in BLIND_INDEX_KINDS:
            if loaded_only and kind not in self.__dict__:
                continue
            setattr(self, f"{kind}_index", blind_index(kind, getattr(self, kind)))

    @transaction.atomic
    def anonymise(self):
        """Overwrite every personal field with a non-personal placeholder.

        Purchases keep their category, amount and date (the shop's accounts need them)
        but lose their product names, which can say much about a person. What other apps
        hold of the customer goes too (``ANONYMISING``: shipments' recipients and
        tracking numbers).
        """
        for field in PERSONAL_FIELDS:
            setattr(self, field, "")
        self.previous_contacts.all().delete()
        self.name = ANONYMISED_NAME
        self.gender = Gender.UNANSWERED
        self.anonymised_at = timezone.now()
        self.save()
        for purchase in self.purchases.all():
            purchase.product_name = ANONYMISED_PRODUCT
            purchase.save(update_fields=["product_name"])
        for forget in ANONYMISING:
            forget(self)


class PreviousContact(models.Model):
    """A customer's e-mail address or phone number as it was before someone at the shop
    changed it, kept sealed for ``SHOPGUARD_CONTACT_CHANGE_HOLD_DAYS``: meanwhile the
    customer's own requests are answered at the previous address
    (``customers.reading.address_on_file``), so nobody at the shop can route them to an
    address they chose. Deleted with the customer's erasure; an expired one is never used
    again and is dropped at the customer's next contact change."""

    class Field(models.TextChoices):
        EMAIL = "email", label("email")
        PHONE = "phone", label("phone")

    # The pk exists before the first save: it is part of the associated data.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="previous_contacts"
    )
    field = models.CharField(_("項目"), max_length=10, choices=Field.choices)
    value = EncryptedTextField(_("変更前の値"), max_length=254, blank=True)
    changed_at = models.DateTimeField(_("変更日時"), db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("変更した人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["changed_at"]
        verbose_name = _("変更前の連絡先")
        verbose_name_plural = _("変更前の連絡先")

    def __str__(self):
        return f"{self.get_field_display()} @{self.changed_at:%Y-%m-%d}"


class Category(models.Model):
    code = models.SlugField(unique=True)
    name_ja = models.CharField(_("名称（日本語）"), max_length=60)
    name_en = models.CharField(_("名称（英語）"), max_length=60)
    # Sensitive categories (medicine, hair growth, adult goods...) reveal health or private
    # life; staff see only how many such purchases a customer has.
    sensitive = models.BooleanField(_("要配慮"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("商品カテゴリ")
        verbose_name_plural = _("商品カテゴリ")

    def __str__(self):
        # Named in the page's language: English pages are English throughout.
        english = (get_language() or "").startswith("en")
        return self.name_en if english and self.name_en else self.name_ja


class PurchaseQuerySet(models.QuerySet):
    def in_period(self, start=None, end=None):
        """Purchases made on or after ``start`` and on or before ``end`` (each optional):
        the period of an export's or an incident's scope."""
        queryset = self
        if start:
            queryset = queryset.filter(purchased_on__gte=start)
        if end:
            queryset = queryset.filter(purchased_on__lte=end)
        return queryset

    def visible_to(self, user):
        """Purchases ``user`` may see: staff never see sensitive categories' purchases."""
        queryset = self.select_related("category")
        if user.has_perm("customers.view_sensitive_purchase"):
            return queryset
        return queryset.filter(category__sensitive=False)


class Purchase(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="purchases")
    product_name = EncryptedTextField(_("商品名"), max_length=200, validators=NO_CARDS)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="purchases", verbose_name=_("カテゴリ")
    )
    amount = models.PositiveIntegerField(_("金額（円）"))
    purchased_on = models.DateField(_("購入日"))
    # The line item an order import made this purchase from ("shopify:#1001:1", the
    # order and the line's place in it), so that importing the same orders again adds
    # nothing. Empty for purchases typed in.
    external_ref = models.CharField(max_length=120, blank=True, db_index=True, editable=False)

    objects = PurchaseQuerySet.as_manager()

    class Meta:
        ordering = ["-purchased_on"]
        verbose_name = _("購入履歴")
        verbose_name_plural = _("購入履歴")
        permissions = [
            ("view_sensitive_purchase", _("要配慮カテゴリの購入履歴を見る")),
        ]

    def __str__(self):
        word = _("購入")
        return f"{word} {self.short_id}"

    def save(self, *args, **kwargs):
        refuse_card_numbers_in(self)
        super().save(*args, **kwargs)

    @property
    def short_id(self):
        return str(self.pk)[:8]


def refuse_card_numbers_in(instance):
    """Last line of defence behind full_clean(): no save() stores a card number.

    Only values in plaintext on the instance are checked (typed, or read, since loading);
    stored ones still sealed were checked when they were written, so saving a loaded row
    decrypts nothing extra.
    """
    for field in encrypted_values(type(instance)):
        value = instance.__dict__.get(field.attname)
        if isinstance(value, str):
            if contains_card_number(value):
                raise ValidationError({field.name: CARD_NUMBER_MESSAGE}, code="card_number")


class ImportPreset(models.Model):
    """A person's mapping of another CSV's columns (BASE, STORES, an Excel sheet) to the
    importer's keys, saved under a name for next time (``import_customers --preset``).

    The platforms' own layouts ship as data in customers/presets/; these are the shop's.
    ``columns`` maps each header as written in the file to a key of
    customers.platforms.KEYS ("" to ignore the column); headers are not personal data.
    """

    name = models.CharField(_("名前"), max_length=40, unique=True)
    columns = models.JSONField(_("列の対応"), default=dict)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("登録した人"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("インポートの列対応")
        verbose_name_plural = _("インポートの列対応")

    def __str__(self):
        return self.name

    def layout(self):
        return mapped_layout(self.name, self.columns)


class ProductCategory(models.Model):
    """Which category an imported product belongs to, chosen by the owner once.

    Order files name products, not ShopGuard's categories: the first import that meets a
    product asks for its category (the import page, or this admin list), and every later
    import uses the answer. A product's name is the shop's catalogue, not personal data.
    """

    product_name = models.CharField(_("商品名"), max_length=200, unique=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("カテゴリ")
    )

    class Meta:
        ordering = ["product_name"]
        verbose_name = _("商品のカテゴリ")
        verbose_name_plural = _("商品のカテゴリ")

    def __str__(self):
        return self.product_name
