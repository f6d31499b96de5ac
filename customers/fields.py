"""Each personal field of a customer and its facts, declared once.

Everything else derives from this table: the model's labels, the masks the vault shows,
which fields an export may hold and how the third-party provision record names them
(``policy.models.DataItem``), and the names the log filter scrubs.
The table's order is the order forms and detail pages show the fields in.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from customers import masking
from vault.japan import fold_code, fold_width, normalise_postal_code


@dataclass(frozen=True)
class PersonalField:
    name: str
    label: str
    mask: Callable[[str], str]
    # May leave ShopGuard in an export archive; card data never does.
    exportable: bool = False
    # Its data item in a third-party provision record (APPI art. 29), when exportable.
    provision_item: str | None = None
    # Dropped from log records that carry it as an extra field.
    scrubbed_in_logs: bool = True
    # How a typed value is folded before it is validated and stored (vault.japan):
    # full-width digits and letters to half width, half-width kana to full width; codes
    # also fold their hyphen look-alikes.
    fold: Callable[[str], str] = fold_width


FIELDS = (
    PersonalField("name", _("氏名"), masking.mask_name, True, "name"),
    PersonalField("name_kana", _("フリガナ"), masking.mask_kana, True, "name"),
    PersonalField("gender", _("性別"), masking.mask_hidden, True, "gender"),
    PersonalField(
        "postal_code",
        _("郵便番号"),
        masking.mask_postal_code,
        True,
        "address",
        fold=normalise_postal_code,
    ),
    PersonalField("address", _("住所"), masking.mask_address, True, "address"),
    PersonalField("phone", _("電話番号"), masking.mask_phone, True, "phone", fold=fold_code),
    PersonalField("email", _("メールアドレス"), masking.mask_email, True, "email"),
    # Card tokens stay with the payment provider's integration; they are never exported.
    PersonalField("card_token", _("カードトークン"), masking.mask_token),
    PersonalField("card_brand", _("カードブランド"), masking.mask_card_brand),
    PersonalField("card_last4", _("カード下4桁"), masking.mask_card_last4, fold=fold_code),
    PersonalField("card_exp", _("カード有効期限"), masking.mask_hidden, fold=fold_code),
)
BY_NAME = {field.name: field for field in FIELDS}

PERSONAL_FIELDS = tuple(field.name for field in FIELDS)
MASKS = {field.name: field.mask for field in FIELDS}
EXPORTABLE_FIELDS = [field.name for field in FIELDS if field.exportable]
# Every exportable field names its item (tests/customers/test_fields.py checks).
PROVISION_ITEMS = {
    field.name: field.provision_item
    for field in FIELDS
    if field.exportable and field.provision_item is not None
}
SCRUBBED_IN_LOGS = frozenset(field.name for field in FIELDS if field.scrubbed_in_logs)


def fold(name, value):
    """``value`` typed for personal field ``name``, folded as that field folds input."""
    return BY_NAME[name].fold(value) if value else value


def label(name):
    """The label of personal field ``name`` (its model field's verbose name)."""
    return BY_NAME[name].label


def masked_value(customer, name):
    """The masked form of one personal field of ``customer``."""
    return MASKS[name](getattr(customer, name))


def masked_fields(customer):
    """[(field, label, masked value)] for every personal field, in display order."""
    return [(f.name, f.label, f.mask(getattr(customer, f.name))) for f in FIELDS]
