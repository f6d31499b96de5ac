"""Signed checkpoints of the ledger, kept outside the database.

The hash chain shows an entry edited, inserted or removed in the middle, but someone who
can write to the database can cut entries off the end and rewind the head: what is left
is still a valid chain. Like a transparency log, the app therefore signs checkpoints
(sequence number, chain value, time) with an Ed25519 key (``AUDIT_SIGNING_KEY``) that
is not in the database, and the owner keeps them elsewhere (a file, a mail). A later
ledger must still hold each checkpoint's entry with that very chain value, and grow on
from it (``verify_audit --checkpoint``).

One checkpoint is one line of text, holding no personal data::

    shopguard-audit-checkpoint 1 <seq> <chain> <time> <key fingerprint> <signature>
"""

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

from vault.mail import send_mail

MAGIC = "shopguard-audit-checkpoint"
VERSION = "1"


class CheckpointError(Exception):
    """A checkpoint cannot be made, read or checked; the message says why."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    chain: str
    time: str  # ISO 8601, UTC, whole seconds
    fingerprint: str
    signature: str = ""

    def message(self):
        """The signed bytes: every field but the signature, under the format's name."""
        fields = [MAGIC, VERSION, str(self.seq), self.chain, self.time, self.fingerprint]
        return "\n".join(fields).encode("ascii")

    def line(self):
        """The checkpoint as one line of text."""
        fields = [MAGIC, VERSION, self.seq, self.chain, self.time, self.fingerprint, self.signature]
        return " ".join(map(str, fields))


def signing_key():
    """The configured Ed25519 private key; stops naming ``AUDIT_SIGNING_KEY`` if unset."""
    raw = getattr(settings, "AUDIT_SIGNING_KEY", None)
    if not raw:
        raise CheckpointError(
            "AUDIT_SIGNING_KEY is not set: checkpoints need their own signing key "
            "(32 random bytes, base64; see docs/operations.md, 'Keys')."
        )
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_text(public_key):
    """The raw public key in URL-safe base64, the form ``--public-key`` takes."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).decode("ascii")


def parse_public_key(text):
    """An Ed25519 public key from ``public_key_text``'s form."""
    try:
        return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(text.strip()))
    except (binascii.Error, ValueError):
        raise CheckpointError("The public key is not a base64 Ed25519 public key.") from None


def fingerprint(public_key):
    """A short name for the public key: the first 16 bytes of its SHA-256, in hex."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


def sign(seq, chain, private_key, moment=None):
    """A signed ``Checkpoint`` of entry ``seq`` with chain value ``chain``."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    unsigned = Checkpoint(
        seq=seq,
        chain=chain,
        time=moment.isoformat().replace("+00:00", "Z"),
        fingerprint=fingerprint(private_key.public_key()),
    )
    signature = private_key.sign(unsigned.message())
    return replace(unsigned, signature=base64.urlsafe_b64encode(signature).decode("ascii"))


def is_signed_by(checkpoint, public_key):
    """Whether ``checkpoint`` carries a valid signature of ``public_key``."""
    try:
        signature = base64.urlsafe_b64decode(checkpoint.signature)
        public_key.verify(signature, checkpoint.message())
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def parse(line):
    """A ``Checkpoint`` from its line; ``CheckpointError`` when it is not one."""
    fields = line.split()
    if len(fields) != 7:
        raise CheckpointError("is not a checkpoint line")
    magic, version, seq, chain, time, key_fingerprint, signature = fields
    if (magic, version) != (MAGIC, VERSION) or not seq.isdigit():
        raise CheckpointError("is not a checkpoint line")
    return Checkpoint(int(seq), chain, time, key_fingerprint, signature)


def read(paths):
    """Every checkpoint in the files, as ``(place, Checkpoint)`` with place "file:line";
    blank lines and lines starting with # are skipped."""
    found = []
    for path in paths:
        try:
            with open(path, encoding="ascii") as handle:
                lines = handle.read().splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise CheckpointError(f"{path} cannot be read: {error}") from None
        for number, text in enumerate(lines, start=1):
            if text.strip() and not text.lstrip().startswith("#"):
                found.append((f"{path}:{number}", text))
    if not found:
        raise CheckpointError(f"No checkpoint in {', '.join(map(str, paths))}.")
    return [(place, _parsed(place, text)) for place, text in found]


def _parsed(place, text):
    try:
        return parse(text)
    except CheckpointError as error:
        raise CheckpointError(f"checkpoint {place} {error}") from None


def problem_with(checkpoint, public_key, verdict, stored_chain):
    """Why ``checkpoint`` does not hold for the verified ledger (``verdict``), or None.

    ``stored_chain`` is the chain value stored for the checkpoint's entry (None when
    there is no such entry). The entries from ``verdict.first_seq`` to
    ``verdict.head_seq`` are one verified chain: an entry inside it with the signed
    chain value means the ledger still reaches the checkpoint and extends it.
    """
    if not is_signed_by(checkpoint, public_key):
        return f"its signature is not valid under the public key {fingerprint(public_key)}"
    if checkpoint.seq > verdict.head_seq:
        return (
            f"the ledger ends at entry {verdict.head_seq}: entries up to {checkpoint.seq} "
            "were cut from its end"
        )
    if checkpoint.seq < verdict.first_seq:
        return None  # purged; the chained audit.purge entry vouches for the start
    if stored_chain != checkpoint.chain:
        return f"entry {checkpoint.seq} no longer has the signed chain value"
    return None


def append(checkpoint, path):
    """Add the checkpoint's line at the end of ``path`` (created when missing)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    with os.fdopen(fd, "a", encoding="ascii") as handle:
        handle.write(checkpoint.line() + "\n")


def mail_owners(checkpoint):
    """Send the checkpoint to the active owners; return how many were mailed. The mail
    holds only the checkpoint's own fields, no personal data."""
    from audit.alerts import owner_addresses

    recipients = owner_addresses()
    if not recipients:
        return 0
    subject = f"[ShopGuard] 監査記録のチェックポイント #{checkpoint.seq}"
    body = "\n".join(
        [
            "監査記録のチェックポイントです。このメールを消さずに保管してください。",
            "(Audit ledger checkpoint: keep this mail.)",
            "",
            f"番号 (seq): {checkpoint.seq}",
            f"チェーン値 (chain): {checkpoint.chain}",
            f"日時 (time, UTC): {checkpoint.time}",
            f"公開鍵の指紋 (key fingerprint): {checkpoint.fingerprint}",
            f"署名 (signature): {checkpoint.signature}",
            "",
            "verify_audit --checkpoint に渡す行 (the line for verify_audit --checkpoint):",
            checkpoint.line(),
        ]
    )
    send_mail(subject, body, None, recipients)
    return len(recipients)
