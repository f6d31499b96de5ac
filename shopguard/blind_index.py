"""Keyed blind indexes for exact search on encrypted values.

``blind_index(kind, value)`` is HMAC-SHA256 under ``BLIND_INDEX_KEY`` over the kind and
the normalised value, truncated to ``INDEX_BITS``. Normalisation makes equal values in
different spellings meet: e-mail NFKC/trimmed/lower case, phone E.164 (region JP) through
``phonenumbers``, name NFKC without spaces.

Why 32 bits: without the key a tag reveals only that two rows hold the same value, at
any length. 32 bits keep the column and its database index small (8 hex characters)
while a lookup among N rows meets on average only N / 2**32 false candidates (0.00002 at
100,000 customers), so a search stays one indexed query plus one decryption. Fewer bits
(16, say) would make every lookup decrypt a handful of strangers' rows; more buy nothing,
because search always decrypts its candidates and drops false matches, so correctness
never rests on the tag being unique.
"""

import hashlib
import hmac
import re
import unicodedata

import phonenumbers
from django.conf import settings

INDEX_BITS = 32
INDEX_HEX_CHARS = INDEX_BITS // 4
_SPACES = re.compile(r"\s+")


def normalise_email(value):
    return unicodedata.normalize("NFKC", value).strip().lower()


def normalise_phone(value):
    """E.164 for a parseable number (region JP); otherwise the NFKC digits and '+'."""
    text = unicodedata.normalize("NFKC", value).strip()
    try:
        number = phonenumbers.parse(text, "JP")
    except phonenumbers.NumberParseException:
        return "".join(ch for ch in text if ch.isdigit() or ch == "+")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_name(value):
    return _SPACES.sub("", unicodedata.normalize("NFKC", value))


NORMALISERS = {"email": normalise_email, "phone": normalise_phone, "name": normalise_name}


def normalise(kind, value):
    """Normalise ``value`` the way the ``kind`` index expects."""
    return NORMALISERS[kind](value)


def blind_index(kind, value, key=None):
    """The hex blind index of ``value`` (of ``kind`` email/phone/name), '' for empty values."""
    return full_digest(kind, value, key)[:INDEX_HEX_CHARS]


def full_digest(kind, value, key=None):
    """The whole 256-bit keyed digest whose prefix is the blind index ('' for empty values).

    Search keeps it instead of the term itself, and compares it with each candidate's
    digest to drop the false matches a short index lets through.
    """
    if value is None:
        return ""
    normalised = normalise(kind, str(value))
    if not normalised:
        return ""
    message = f"{kind}\x00{normalised}".encode()
    return hmac.new(key or settings.BLIND_INDEX_KEY, message, hashlib.sha256).hexdigest()
