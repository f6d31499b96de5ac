"""Masked forms of personal values: what everyone sees until they reveal a field.

Each mask keeps just enough to recognise the right customer on the phone (family name,
e-mail's first letter and domain, a phone's last four digits, prefecture and city) and
hides the rest. Seeing more is a reveal, with a reason and an audit record.
Which field gets which mask is declared with the field's other facts in customers.fields.
"""

import re
import unicodedata

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


def mask_card_brand(value):
    """The brand is what a card statement shows: it is its own mask, 'VISA' -> 'VISA'."""
    return value or ""


def mask_card_last4(value):
    """'4242' -> '•••• 4242' (the last four digits are what a statement shows)."""
    return f"{DOT * 4} {value}" if value else ""


def mask_product_name(value):
    """A sensitive purchase's product name, until it is revealed."""
    return HIDDEN if value else ""
