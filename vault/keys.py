"""Key material for ShopGuard: parsing, validating and generating keys.

Field keys are written as ``FIELD_ENCRYPTION_KEYS="id1:base64key,id2:base64key"``,
newest first: the first key encrypts, every listed key decrypts. The blind-index and
audit-chain keys are single base64 values, and so is the optional audit signing key
(its 32 bytes are an Ed25519 private key). None of them may equal ``SECRET_KEY``.
"""

import base64
import binascii
import re
import secrets
from datetime import date, datetime

from django.core.exceptions import ImproperlyConfigured

KEY_BYTES = 32  # AES-256 and HMAC-SHA256 both want 256-bit keys.
KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
DATED_KEY_ID_RE = re.compile(r"^k(\d{8})")


def decode_key(name: str, value: str) -> bytes:
    """Return the 32 raw bytes of a base64 key, or raise naming the variable."""
    try:
        raw = base64.urlsafe_b64decode(value.strip().encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ImproperlyConfigured(f"{name} is not valid base64.") from None
    if len(raw) != KEY_BYTES:
        raise ImproperlyConfigured(f"{name} must hold {KEY_BYTES} random bytes (base64).")
    if len(set(raw)) < 8:
        raise ImproperlyConfigured(f"{name} is too weak: generate it with make_field_key.")
    return raw


def parse_field_keys(value: str, name: str = "FIELD_ENCRYPTION_KEYS") -> dict[str, bytes]:
    """Parse ``id:key,id:key`` into an ordered dict {key_id: raw bytes}, newest first."""
    keys = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        key_id, sep, encoded = part.partition(":")
        if not sep or not KEY_ID_RE.match(key_id):
            raise ImproperlyConfigured(f"{name} entries must look like 'keyid:base64key'.")
        if key_id in keys:
            raise ImproperlyConfigured(f"{name} lists key id {key_id!r} twice.")
        keys[key_id] = decode_key(f"{name} ({key_id})", encoded)
    if not keys:
        raise ImproperlyConfigured(f"{name} is empty.")
    return keys


def new_raw_key() -> str:
    """Return a fresh base64 key of 32 random bytes."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def new_field_key() -> str:
    """Return one ``id:key`` entry for FIELD_ENCRYPTION_KEYS; the id carries today's date."""
    return f"k{date.today():%Y%m%d}{secrets.token_hex(2)}:{new_raw_key()}"


def key_date(key_id: str | None) -> date | None:
    """The day a key made by ``new_field_key`` was made (its id carries it), or None for
    a key id chosen by hand."""
    found = DATED_KEY_ID_RE.match(key_id or "")
    try:
        return datetime.strptime(found.group(1), "%Y%m%d").date() if found else None
    except ValueError:
        return None
