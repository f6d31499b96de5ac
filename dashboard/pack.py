"""The signed evidence pack: a ZIP a third party can check was not edited.

It holds the evidence page (HTML), the ledger's summary for the period (entries per
action and outcome: counts only, no person and no customer), the policy in force, the
last verification's result, and ``MANIFEST.sha256``: every file's SHA-256 in the form
``sha256sum -c`` reads, signed with the checkpoint key (Ed25519, ``AUDIT_SIGNING_KEY``,
``audit.checkpoint``) into ``MANIFEST.sig``. ``PUBLIC-KEY.pem`` is the key to check it
with; its fingerprint is the one in the checkpoint mails the owner keeps, which is how a
third party knows the key is the shop's. ``verify_evidence_pack`` checks a pack; the
steps without ShopGuard (sha256sum and openssl) are in ``README.txt`` and the owner's
guide.
"""

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)
from django.db.models import Sum

from audit.actions import Action
from audit.checkpoint import fingerprint, signing_key
from audit.models import AuditDay
from vault.spreadsheet import safe_cell

MANIFEST = "MANIFEST.sha256"
SIGNATURE = "MANIFEST.sig"
PUBLIC_KEY = "PUBLIC-KEY.pem"
README = "README.txt"

README_TEXT = """ShopGuard 証跡パッケージ / evidence pack

このファイルが作られたあと書き換えられていないことを、次の手順で確かめられます。
Check that nothing in this pack was changed since it was made:

1. 公開鍵の指紋がお店から受け取ったもの（監査記録のチェックポイントのメールにある
   「公開鍵の指紋」）と同じか確かめます。
   Check the key's fingerprint is the shop's (the "key fingerprint" of its checkpoint
   mails):
     openssl pkey -pubin -in PUBLIC-KEY.pem -outform DER | tail -c 32 | sha256sum | cut -c1-32
   expected / 期待する値: {fingerprint}
2. 目録の署名を確かめます。 Check the manifest's signature:
     openssl pkeyutl -verify -pubin -inkey PUBLIC-KEY.pem -rawin \\
       -in MANIFEST.sha256 -sigfile MANIFEST.sig
   "Signature Verified Successfully" と出れば目録は署名のとおりです。
3. 各ファイルが目録のとおりか確かめます。 Check every file against the manifest:
     sha256sum -c MANIFEST.sha256
   すべて OK と出れば書き換えはありません。

ShopGuard がある場合は / with ShopGuard:
     python manage.py verify_evidence_pack evidence-pack.zip --public-key <key>
"""


@dataclass(frozen=True)
class Period:
    since: date
    until: date


def ledger_summary(period: Period) -> str:
    """The ledger's entries in ``period`` per action and outcome, as CSV (from the day
    counts: no person's name and no customer)."""
    rows = (
        AuditDay.objects.filter(day__gte=period.since, day__lte=period.until)
        .values("action", "outcome")
        .annotate(entries=Sum("entries"))
        .order_by("action", "outcome")
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["action", "label", "outcome", "entries"])
    labels = dict(Action.choices)
    for row in rows:
        label = str(labels.get(row["action"], ""))
        cells = [row["action"], label, row["outcome"], row["entries"]]
        writer.writerow([safe_cell(cell) for cell in cells])
    return out.getvalue()


def policy_document(version) -> str:
    """The policy in force as JSON: its number, dates, content hash and articles."""
    if version is None:
        return json.dumps({"policy": None}, ensure_ascii=False, indent=2)
    document = {
        "number": version.number,
        "effective_date": version.effective_date.isoformat() if version.effective_date else None,
        "content_hash": version.content_hash,
        "articles": version.articles,
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def verification_document(entry) -> str:
    """The last ledger verification's verdict (its ``audit.verified`` entry)."""
    if entry is None:
        return json.dumps({"verification": None}, indent=2)
    document = {"seq": entry.seq, "at": entry.created_at.isoformat(), **entry.detail}
    return json.dumps(document, ensure_ascii=False, indent=2, default=str)


def manifest_of(files: dict[str, bytes]) -> bytes:
    """``sha256sum`` lines for ``files``, in name order."""
    lines = [
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())
    ]
    return "".join(lines).encode("utf-8")


def build(files: dict[str, bytes], moment: datetime) -> bytes:
    """The ZIP of ``files`` with the readme, the signed manifest and the public key."""
    private_key = signing_key()
    public_key = private_key.public_key()
    files = {**files, README: README_TEXT.format(fingerprint=fingerprint(public_key)).encode()}
    manifest = manifest_of(files)
    signed = {
        MANIFEST: manifest,
        SIGNATURE: private_key.sign(manifest),
        PUBLIC_KEY: public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
    }
    out = io.BytesIO()
    stamp = moment.timetuple()[:6]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in {**files, **signed}.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), data)
    return out.getvalue()


@dataclass(frozen=True)
class Check:
    """A pack's check: the signing key's fingerprint and what is wrong (empty: intact)."""

    fingerprint: str
    problems: list[str]

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(archive_bytes: bytes, public_key: Ed25519PublicKey | None = None) -> Check:
    """Check a pack: the manifest's signature under ``public_key`` (else the pack's own
    key, whose fingerprint the caller compares with the shop's), every file against the
    manifest, and no file the manifest does not list."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(archive_bytes))
        contents = {name: archive.read(name) for name in archive.namelist()}
    except (zipfile.BadZipFile, OSError):
        return Check("", ["not a ZIP file"])
    if public_key is None:
        try:
            loaded = load_pem_public_key(contents.get(PUBLIC_KEY, b""))
        except ValueError:
            return Check("", [f"{PUBLIC_KEY} is missing or not a public key"])
        if not isinstance(loaded, Ed25519PublicKey):
            return Check("", [f"{PUBLIC_KEY} is not an Ed25519 key"])
        public_key = loaded
    problems = []
    manifest = contents.pop(MANIFEST, b"")
    try:
        public_key.verify(contents.pop(SIGNATURE, b""), manifest)
    except InvalidSignature:
        problems.append(f"{MANIFEST} does not match its signature {SIGNATURE}")
    contents.pop(PUBLIC_KEY, None)
    listed = {}
    for line in manifest.decode("utf-8", "replace").splitlines():
        digest, _sep, name = line.partition("  ")
        listed[name] = digest
    for name, digest in listed.items():
        if name not in contents:
            problems.append(f"{name} is listed but missing")
        elif hashlib.sha256(contents[name]).hexdigest() != digest:
            problems.append(f"{name} was changed")
    problems += [f"{name} is not in the manifest" for name in sorted(set(contents) - set(listed))]
    return Check(fingerprint(public_key), problems)
