"""Masked forms of personal values: what everyone sees until they reveal a field.

Each mask keeps just enough to recognise the right customer on the phone (family name,
e-mail's first letter and domain, a phone's last four digits, prefecture and city) and
hides the rest. Seeing more is a reveal, with a reason and an audit record.
"""

import re
import unicodedata

from customers.models import PERSONAL_FIELDS

STARS = "**"
HIDDEN = "***"
DOT = "•"

_PREFECTURE_AND_CITY = re.compile(
    r"^(?P<prefecture>東京都|北海道|(?:京都|大阪)府|\S{2,3}?県)"
    r"(?P<city>(?:\S+?郡)?\S+?[市区町村])"
)


def mask_name(value):
    """'山田 花子' -> '山田 **'; without a space, the first character: '山田花子' -> '山 **'."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        return ""
    parts = text.split()
    family = parts[0] if len(parts) > 1 else text[0]
    return f"{family} {STARS}"


def mask_kana(value):
    """Reading of the name: only its first character, 'ヤマダ ハナコ' -> 'ヤ***'."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    return f"{text[0]}{HIDDEN}" if text else ""


def mask_email(value):
    """'yamada@example.com' -> 'y***@example.com'."""
    text = (value or "").strip()
    if not text:
        return ""
    local, at, domain = text.rpartition("@")
    if not at:
        return HIDDEN
    return f"{local[:1]}{HIDDEN}@{domain}"


def mask_phone(value):
    """'090-1234-5678' -> '***-****-5678' (the last four digits only)."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", value or "") if ch.isdigit())
    if not digits:
        return ""
    return f"***-****-{digits[-4:]}" if len(digits) > 4 else "***-****-****"


def mask_postal_code(value):
    """'123-4567' -> '1**-****'."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    return f"{text[0]}**-****" if text else ""


def mask_address(value):
    """Prefecture and city only: '東京都新宿区西新宿2-8-1' -> '東京都新宿区 ***'."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        return ""
    match = _PREFECTURE_AND_CITY.match(text)
    return f"{match.group('prefecture')}{match.group('city')} {HIDDEN}" if match else HIDDEN


def mask_token(value):
    """A provider token keeps its short prefix: 'tok_1a2b3c...' -> 'tok_***'."""
    text = (value or "").strip()
    if not text:
        return ""
    prefix = text.split("_", 1)[0] + "_" if "_" in text[:8] else ""
    return f"{prefix}{HIDDEN}"


def mask_card(brand, last4):
    """'VISA', '4242' -> 'VISA •••• 4242'."""
    if not (brand or last4):
        return ""
    return f"{brand or ''} {DOT * 4} {last4 or DOT * 4}".strip()


def mask_hidden(value):
    """Hide the value completely (gender, expiry): only whether it is set shows."""
    return HIDDEN if value else ""


MASKS = {
    "name": mask_name,
    "name_kana": mask_kana,
    "gender": mask_hidden,
    "postal_code": mask_postal_code,
    "address": mask_address,
    "phone": mask_phone,
    "email": mask_email,
    "card_token": mask_token,
    "card_exp": mask_hidden,
    # The brand and last four digits are what a card statement shows; they are the mask.
    "card_brand": lambda value: value or "",
    "card_last4": lambda value: f"{DOT * 4} {value}" if value else "",
}


def masked_value(customer, field):
    """The masked form of one personal field of ``customer``."""
    return MASKS[field](getattr(customer, field))


def masked_fields(customer):
    """[(field, label, masked value)] for every personal field, in display order."""
    opts = customer._meta
    return [
        (name, opts.get_field(name).verbose_name, masked_value(customer, name))
        for name in PERSONAL_FIELDS
    ]


def mask_product_name(value):
    """A sensitive purchase's product name, until it is revealed."""
    return HIDDEN if value else ""
