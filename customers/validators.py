"""Validation shared by forms, the import and every other entry path.

Card numbers never enter ShopGuard (DESIGN invariant 4): anything that looks like one is
refused wherever it is typed, with a message pointing to the payment provider's token.
"""

import re
import unicodedata

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from vault.blind_index import well_formed_japanese_e164
from vault.japan import fold_code

# Runs of digits, optionally separated by single spaces or dashes (after NFKC, which turns
# full-width digits and dashes into ASCII ones).
_DIGIT_RUN = re.compile(r"\d(?:[ \-\u2010-\u2015\u2212\u30fc]?\d)+")
_SEPARATOR = re.compile(r"[ \-\u2010-\u2015\u2212\u30fc]")
CARD_MIN_DIGITS, CARD_MAX_DIGITS = 13, 19  # ISO/IEC 7812 primary account numbers

CARD_NUMBER_MESSAGE = _(
    "カード番号のような数字は保存できません。カード番号の代わりに、決済代行会社が発行した"
    "トークン、ブランド、下4桁、有効期限だけを入力してください。"
)


def luhn_valid(digits):
    """True when ``digits`` (a string of 0-9) passes the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def contains_card_number(text):
    """True when ``text`` holds a Luhn-valid run of 13–19 digits (spaces, dashes, full width).

    A run is split at its separators into groups ("4242 4242 ..."), and every sequence of
    consecutive groups holding 13–19 digits is checked, so a number followed by an expiry
    ("4242 4242 4242 4242 1225") is still caught while an unbroken 25-digit id is not.
    """
    if not text:
        return False
    normalised = unicodedata.normalize("NFKC", str(text))
    for match in _DIGIT_RUN.finditer(normalised):
        groups = _SEPARATOR.split(match.group())
        for start in range(len(groups)):
            digits = ""
            for group in groups[start:]:
                digits += group
                if len(digits) > CARD_MAX_DIGITS:
                    break
                if len(digits) >= CARD_MIN_DIGITS and luhn_valid(digits):
                    return True
    return False


def refuse_card_numbers(value):
    """Validator: refuse any value that contains something like a card number."""
    if contains_card_number(value):
        raise ValidationError(CARD_NUMBER_MESSAGE, code="card_number")


def validate_phone(value):
    """Validator: a phone number ``phonenumbers`` accepts as possible (region JP)."""
    if not value:
        return
    text = unicodedata.normalize("NFKC", value)
    if well_formed_japanese_e164(text) is not None:
        return  # possible: phonenumbers agrees on every number this accepts
    try:
        number = phonenumbers.parse(text, "JP")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise ValidationError(_("電話番号の形式が正しくありません。"), code="phone")


class FoldedRegexField(forms.RegexField):
    """A RegexField for a typed code: full-width digits and hyphen look-alikes are folded
    before the pattern is checked, so 「１２３４５６」 is 「123456」."""

    def to_python(self, value):
        return fold_code(super().to_python(value))
