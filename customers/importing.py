"""Import customers from Shopify's customer CSV export, all or nothing.

The whole file is checked before anything is written: one bad row imports nothing, and
bad rows are reported by line and column without echoing their values, because these
messages end up on screens, in terminals and in logs ("line 7, Email: not a valid e-mail
address"). The file is streamed, never held whole: memory stays flat whatever its length
(one batch of rows, the first problems, a small digest per e-mail), and a file over 20 MB
or SHOPGUARD_IMPORT_MAX_ROWS rows is refused before its rows are checked. A customer
whose platform id (Shopify's Customer ID, kept as Customer.external_id) or e-mail (found
through the e-mail blind index) is already known is updated instead of duplicated; a
value left blank in the file keeps the stored one. The import is
recorded in the audit ledger with its counts and the file's SHA-256, never its contents,
in the same transaction as the writes: one entry per ``ENTRY_CUSTOMERS`` customers,
written as the rows are, all with the same import id; a refused file is recorded too.

Columns follow Shopify's documentation in both the older template (Company, Address1,
Province Code, Accepts Marketing...) and the current export (Default Address Company,
Default Address Address1, Accepts Email Marketing...). Headers are matched without regard
to case, width or spacing, so the Transporter spelling ("First name") works too. Shopify
has no separate kana column; Japanese names are stored as 姓 名 (Last Name, First Name).
"""

import codecs
import csv
import hashlib
import io
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher
from itertools import chain, islice
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from audit import changes, ledger
from audit.actions import Action, Outcome
from customers import reading
from customers.fields import fold
from customers.models import BLIND_INDEX_FIELDS, Customer, Gender, refuse_card_numbers_in
from customers.platforms import NAME_KEYS, layout_for, platform_layouts
from customers.validators import CARD_NUMBER_MESSAGE, contains_card_number, validate_phone
from vault.blind_index import blind_index, normalise
from vault.japan import PREFECTURES, prefecture_disagrees
from vault.reads import bulk_read

# The platforms' own customer files (customers/presets/*.json): "shopify", "eccube".
FORMATS = tuple(platform_layouts())
# The column holding the platform's own customer id, kept as Customer.external_id with the
# platform's name in front ("shopify:6578823274658").
EXTERNAL_ID_KEY = "external_id"
# A customer export of a small shop is a few MB; 20 MB is ~100,000 customers with room
# to spare, and keeps one upload from holding a worker's memory for long.
MAX_FILE_BYTES = 20 * 1024 * 1024
# The row limit is a setting, SHOPGUARD_IMPORT_MAX_ROWS (see settings.py for its reason).
# Rows checked together, with one IN (...) query for their e-mails' blind indexes: far
# below every database's parameter limit, and a few hundred rows of memory at most.
BATCH_ROWS = 500
READ_CHUNK = 64 * 1024  # bytes read at a time
# Problems listed on the screen or the terminal; the rest are counted. A file with
# thousands of bad rows is usually the wrong file, and the first hundred say so.
MAX_PROBLEMS_SHOWN = 100
# Changes a re-import's preview shows side by side (to those allowed to see the values):
# enough to recognise what the file does; the counts per field cover the rest.
PREVIEW_SAMPLES = 20
# Customers one customer.import ledger entry names. An import writes an entry per this
# many customers as it writes them, all carrying the same import id, so neither an entry
# nor the ids held for it grow with the file; a thousand ids is about 40 KB of entry.
ENTRY_CUSTOMERS = 1000
# Created customers an import result keeps by id (the result page links the first 20;
# the rest are at the top of the newest-first customer list).
FIRST_CREATED = 20
# Repeated e-mails and platform ids are found in fixed memory: a Bloom filter of 1 MiB
# (8,388,608 bits, 4 probes a key) takes every key of the file in one pass, and only the
# keys it has met before (repeats, and about one key in 200,000 at the 50,000-row limit
# that it takes for one) are remembered with their first line.
REPEAT_FILTER_BYTES = 1024 * 1024
REPEAT_PROBES = 4

YES_NO_COLUMNS = ("accepts_email_marketing", "accepts_sms_marketing", "tax_exempt")
YES = {"yes", "true", "1", "y"}
NO = {"no", "false", "0", "n", ""}
# Customer fields and the file columns their errors are reported against.
FIELD_COLUMNS = {
    "name": ("name", "last_name", "first_name"),
    "name_kana": ("name_kana", "last_name_kana", "first_name_kana"),
    "gender": ("gender",),
    "email": ("email",),
    "phone": ("phone", "address_phone"),
    "postal_code": ("zip",),
    "address": ("address1", "city", "province", "province_code", "address2"),
}
# A gender column's words (EC-CUBE's 性別(名称), a mapped file's) -> Gender.
GENDER_WORDS = {
    "男性": Gender.MALE,
    "男": Gender.MALE,
    "male": Gender.MALE,
    "m": Gender.MALE,
    "女性": Gender.FEMALE,
    "女": Gender.FEMALE,
    "female": Gender.FEMALE,
    "f": Gender.FEMALE,
    "その他": Gender.OTHER,
    "other": Gender.OTHER,
}


class Reason:
    """Why a file was refused, as the ledger names it (``detail["reason"]``)."""

    TOO_LARGE = "too_large"
    ENCODING = "encoding"
    NOT_CSV = "not_csv"  # no header line, or text the CSV reader cannot parse
    HEADER = "header"  # a required column is missing
    TOO_MANY_ROWS = "too_many_rows"
    ROWS = "rows"  # one or more rows have problems
    NOT_PREVIEWED = "not_previewed"  # not the file whose changes the person confirmed


class ImportRefused(Exception):
    """The file was not imported; ``problems`` says where, without personal data.

    ``problems`` holds the first ``MAX_PROBLEMS_SHOWN`` problems in file order and
    ``total`` how many there were in all.
    """

    def __init__(self, problems, digest="", *, reason=Reason.ROWS, total=None):
        self.total = len(problems) if total is None else total
        super().__init__(f"{self.total} problem(s); nothing was imported.")
        self.problems = problems
        self.digest = digest
        self.reason = reason
        # An order file's products without a category, by name (catalogue data, not
        # personal): the owner chooses each one's category once. Never in the ledger.
        self.uncategorised: list[str] = []

    @property
    def not_shown(self):
        return self.total - len(self.problems)


def _file_refused(reason, message):
    return ImportRefused([Problem(None, _("ファイル"), message)], reason=reason)


@dataclass(frozen=True)
class Problem:
    line: int | None  # 1 is the header line; None for the file as a whole
    column: str
    message: str

    def __str__(self):
        if self.line is None:
            return f"{self.column}: {self.message}"
        return _("%(line)d行目, %(column)s: %(message)s") % {
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    digest: str = ""
    encoding: str = ""
    # Known customers whose every value in the file equals the stored one (not saved).
    unchanged: int = 0
    # The first FIRST_CREATED customers created, in file order (the ledger names them all).
    created_ids: list = field(default_factory=list)
    # Values kept because the file's looked like lost characters (see looks_lost).
    kept_lost: int = 0


# What an encoding that cannot hold a character leaves in its place: "?" (Python's and
# Excel's CP932 "replace"), the full-width "？" and U+FFFD, the Unicode replacement.
LOST_CHARACTERS = frozenset("?？\ufffd")


def looks_lost(stored, new):
    """True when ``new`` has ?, ？ or U+FFFD where ``stored`` has other characters.

    「𠮷野」 saved as CP932 comes back as 「?野」: such a value is a damaged copy of the
    stored one, not a correction, and is never applied without an explicit choice.
    """
    if not stored or not LOST_CHARACTERS.intersection(new):
        return False
    matcher = SequenceMatcher(None, stored, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace" and set(new[j1:j2]) <= LOST_CHARACTERS:
            if not LOST_CHARACTERS.intersection(stored[i1:i2]):
                return True
    return False


@dataclass(frozen=True)
class Change:
    """One field of one known customer that an import would change."""

    field: str
    old: str
    new: str
    lost: bool  # the new value looks like the old one with lost characters


@dataclass(frozen=True)
class ChangeSample:
    """A change shown side by side to a person allowed to see the values."""

    customer_id: object
    short_id: str
    label: str
    old: str
    new: str
    lost: bool


@dataclass
class FieldChanges:
    field: str
    label: str
    customers: int = 0  # known customers whose value would change
    lost: int = 0  # of those, values that look like lost characters


@dataclass
class ImportPreview:
    """What an import would do, counted without writing (``preview``)."""

    digest: str
    encoding: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    fields: dict = field(default_factory=dict)  # field name -> FieldChanges
    samples: list = field(default_factory=list)  # ChangeSample, first PREVIEW_SAMPLES
    # Customers whose postal code belongs to another prefecture than their address names
    # (Japan Post's data, vault.japan): flagged, not refused (the code may be the typo).
    postal_mismatch: int = 0

    @property
    def needs_a_look(self):
        """Whether a person should see this before anything is written."""
        return bool(self.updated or self.postal_mismatch)

    @property
    def lost(self):
        return sum(changes.lost for changes in self.fields.values())

    def count(self, customer, is_new, show_values):
        self.rows += 1
        if prefecture_disagrees(customer.postal_code, customer.address):
            self.postal_mismatch += 1
        if is_new:
            self.created += 1
            return
        if not customer.import_diff:
            self.unchanged += 1
            return
        self.updated += 1
        for change in customer.import_diff:
            name = change.field
            label = str(Customer._meta.get_field(name).verbose_name)
            counted = self.fields.setdefault(name, FieldChanges(name, label))
            counted.customers += 1
            counted.lost += change.lost
            if show_values and len(self.samples) < PREVIEW_SAMPLES:
                self.samples.append(
                    ChangeSample(
                        customer.pk, customer.short_id, label, change.old, change.new, change.lost
                    )
                )


@dataclass
class _Row:
    line: int
    values: dict  # our key -> cleaned string
    headers: dict  # our key -> header as written in the file
    email_key: str = ""
    card_columns: list = field(default_factory=list)  # headers of cells with card numbers


@dataclass
class _Scan:
    """What one read of the file's bytes found out."""

    digest: str  # SHA-256 of the bytes read: the whole file unless it is too large
    size: int  # bytes read, stopping one chunk past MAX_FILE_BYTES
    encoding: str | None  # None when the file is in none of the accepted encodings


def scan(source):
    """Read the binary file ``source`` once for its SHA-256, size and encoding.

    UTF-8 with or without BOM, else CP932 (Excel's Shift_JIS); a BOM promises UTF-8,
    so a file with one is never read as CP932. Memory stays at one chunk whatever the
    size, and reading stops past ``MAX_FILE_BYTES``.
    """
    source.seek(0)
    digest, size, bom = hashlib.sha256(), 0, None
    decoders = {name: codecs.getincrementaldecoder(name)() for name in ("utf-8", "cp932")}
    for chunk in iter(lambda: source.read(READ_CHUNK), b""):
        if bom is None:
            bom = chunk.startswith(codecs.BOM_UTF8)
        size += len(chunk)
        digest.update(chunk)
        if size > MAX_FILE_BYTES:
            return _Scan(digest.hexdigest(), size, None)
        _feed(decoders, chunk)
    _feed(decoders, b"", final=True)
    if bom:
        encoding = "utf-8-sig" if "utf-8" in decoders else None
    else:
        encoding = next(iter(decoders), None)  # utf-8 first, then cp932
    return _Scan(digest.hexdigest(), size, encoding)


def _feed(decoders, chunk, final=False):
    """Decode ``chunk`` with each decoder, dropping those it is not valid for."""
    for name, decoder in list(decoders.items()):
        try:
            decoder.decode(chunk, final)
        except UnicodeDecodeError:
            del decoders[name]


def encoding_message():
    return _("文字コードを読み取れません。UTF-8 または Shift_JIS (CP932) で保存してください。")


def too_large_message():
    limit = MAX_FILE_BYTES // (1024 * 1024)
    return _("ファイルが大きすぎます（上限 %(mb)d MB）。") % {"mb": limit}


def too_many_rows_message(limit):
    return _(
        "行が多すぎます（上限 %(limit)s 行）。何も登録していません。"
        "ファイルを %(limit)s 行以下に分けてインポートしてください。"
    ) % {"limit": f"{limit:,}"}


class _Unclosing(io.RawIOBase):
    """``source`` as a raw stream that a TextIOWrapper may close without closing it."""

    def __init__(self, source):
        self.source = source

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.source.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _reader(source, encoding):
    """A csv reader over ``source`` decoded as it is read, from the start."""
    source.seek(0)
    text = io.TextIOWrapper(io.BufferedReader(_Unclosing(source)), encoding, newline="")
    return csv.reader(text)


def _records(reader):
    """Yield (first line number, cells) for every non-blank record after the header."""
    line = reader.line_num + 1
    for cells in reader:
        if any(c.strip() for c in cells):
            yield line, cells
        line = reader.line_num + 1


def _layout(reader, layout):
    """The header's keys and cells, or ImportRefused when it lacks a required column."""
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise _file_refused(Reason.NOT_CSV, _("見出し行がありません。")) from None
    keys = [layout.key(h) for h in header]
    problems = [
        Problem(1, group[-1], missing_column_message(group)) for group in layout.missing(keys)
    ]
    if not problems and not any(key in keys for key in NAME_KEYS):
        problems.append(Problem(1, _("氏名"), _("氏名（または姓・名）の列が必要です。")))
    if problems:
        raise ImportRefused(problems, reason=Reason.HEADER)
    return keys, header


def missing_column_message(group):
    columns = _("」か「").join(group)
    return _("「%(columns)s」の列が必要です（値は空でも構いません）。") % {"columns": columns}


class Counted(NamedTuple):
    rows: int
    repeats: "Repeats"  # the file's e-mails and platform ids met more than once


def count_rows(source, encoding, limit, layout):
    """Check the header and the CSV syntax and count the rows, stopping past ``limit``;
    note which e-mails and platform ids come back (a Counted).

    Cheap (no validation, no database), so a file too long or not CSV at all is refused
    before any row is checked.
    """
    reader = _reader(source, encoding)
    keys, _header = _layout(reader, layout)
    positions = {
        key: [i for i, k in enumerate(keys) if k == key] for key in ("email", EXTERNAL_ID_KEY)
    }
    repeats, rows = Repeats(), 0
    try:
        for _line, cells in _records(reader):
            rows += 1
            if rows > limit:
                raise _file_refused(Reason.TOO_MANY_ROWS, too_many_rows_message(limit))
            values = {key: _first_value(cells, at, key) for key, at in positions.items()}
            for key in _repeat_keys(normalise("email", values["email"]), values, layout):
                repeats.add(key)
    except csv.Error:
        raise _file_refused(Reason.NOT_CSV, _("CSV として読めない箇所があります。")) from None
    return Counted(rows, repeats)


def _first_value(cells, positions, key):
    """A key's value in one row as _row finds it: its first column with a value."""
    for position in positions:
        if position < len(cells) and (value := _clean_cell(key, cells[position])):
            return value
    return ""


def _repeat_keys(email_key, values, layout):
    """What must not repeat within a file: the row's e-mail and its platform id."""
    if email_key:
        yield email_key
    if known_id := external_id(values, layout):
        yield f"id {known_id}"


def _clean_cell(key, value):
    value = value.strip()
    # Shopify prefixes phone numbers and postal codes with ' so Excel keeps them as text.
    if key in ("phone", "address_phone", "zip", EXTERNAL_ID_KEY) and value.startswith("'"):
        value = value[1:].strip()
    return value


def _row_problems(row):
    """Problems of one row found without touching the database."""
    found = []

    def add(key, message):
        found.append(Problem(row.line, row.headers[key], message))

    for column in row.card_columns:
        found.append(Problem(row.line, column, str(CARD_NUMBER_MESSAGE)))
    values = row.values
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError:
            add("email", _("メールアドレスの形式が正しくありません。"))
    for key in ("phone", "address_phone"):
        try:
            validate_phone(values.get(key, ""))
        except ValidationError:
            add(key, _("電話番号の形式が正しくありません。"))
    for key in YES_NO_COLUMNS:
        if key in values and values[key].lower() not in YES | NO:
            add(key, _("yes か no で指定してください。"))
    if values.get("total_spent"):
        try:
            if Decimal(values["total_spent"].replace(",", "")) < 0:
                raise InvalidOperation
        except InvalidOperation:
            add("total_spent", _("0 以上の金額で指定してください。"))
    if values.get("total_orders") and not values["total_orders"].isdigit():
        add("total_orders", _("0 以上の整数で指定してください。"))
    return found


def prefecture_name(value):
    """A prefecture's name from its name or its ISO code (JP-13, 13) as platforms write it."""
    return _prefecture({"province_code": value})


def _prefecture(values):
    code = values.get("province_code", "").upper().removeprefix("JP-")
    country = values.get("country_code", "").upper()
    if country in ("", "JP") and code.isdigit() and 1 <= int(code) <= len(PREFECTURES):
        return PREFECTURES[int(code) - 1]
    return values.get("province", "") or values.get("province_code", "")


def customer_values(values):
    """Our Customer field values from one row's cleaned cells ('' where the file is silent)."""
    name = values.get("name") or _joined(values, "last_name", "first_name")
    kana = values.get("name_kana") or _joined(values, "last_name_kana", "first_name_kana")
    street = "".join(
        v for v in (_prefecture(values), values.get("city"), values.get("address1")) if v
    )
    address = " ".join(v for v in (street, values.get("address2"), values.get("company")) if v)
    country = values.get("country_code", "").upper()
    if address and country not in ("", "JP"):
        address = f"{address} {country}"
    found = {
        "name": name,
        "name_kana": kana,
        "gender": GENDER_WORDS.get(values.get("gender", "").lower(), ""),
        "email": values.get("email", ""),
        "phone": values.get("phone") or values.get("address_phone", ""),
        "postal_code": values.get("zip", ""),
        "address": address,
    }
    # Folded as typed values are (full width, half width, hyphens), so that a re-import
    # of the same customer in the other width changes nothing.
    return {name: fold(name, value) for name, value in found.items()}


def _joined(values, last, first):
    # Japanese order, 姓 名, whatever the file's column order.
    return " ".join(v for v in (values.get(last), values.get(first)) if v)


def external_id(values, layout):
    """The platform's id of the row's customer as stored ("shopify:123"), or ""."""
    value = values.get(EXTERNAL_ID_KEY, "")
    return f"{layout.id_prefix}:{value}" if value else ""


def _existing_by_external_id(rows, layout):
    """{external id: [customers]} for the file's platform ids."""
    ids = sorted({external_id(r.values, layout) for r in rows} - {""})
    found = {}
    for customer in Customer.objects.filter(external_id__in=ids).order_by("created_at"):
        found.setdefault(customer.external_id, []).append(customer)
    return found


def _existing_by_email(rows):
    """{normalised e-mail: [customers]} for the file's e-mails, through the blind index."""
    indexes = sorted({blind_index("email", r.values["email"]) for r in rows if r.email_key})
    found = {}
    if not indexes:
        return found
    for customer in Customer.objects.filter(email_index__in=indexes).order_by("created_at"):
        # The index is 32 bits: decrypt and compare to drop the rare false match.
        found.setdefault(normalise("email", customer.email), []).append(customer)
    return found


def _model_problems(row, customer):
    """Run the model's own validation (card rule, lengths, phone...) on the planned row."""
    try:
        # The id is a fresh UUID4 or the stored customer's own: checking it is unique would
        # cost a query per row for nothing.
        customer.full_clean(exclude=["id", *BLIND_INDEX_FIELDS])
    except ValidationError as error:
        return [
            Problem(row.line, _column_for(row, name), _scrub(message, row))
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return []


def _column_for(row, field_name):
    for key in FIELD_COLUMNS.get(field_name, ()):
        if key in row.headers:
            return row.headers[key]
    return str(Customer._meta.get_field(field_name).verbose_name)


def _scrub(message, row):
    """Never echo a cell's value in a message (validators may quote what they refuse)."""
    for value in row.values.values():
        if len(value) >= 3 and value in message:
            return _("値が正しくありません。")
    return message


class Repeats:
    """The e-mails and platform ids a file holds more than once, found in fixed memory.

    ``count_rows`` adds every row's keys; a key whose probes are all set already was met
    before (or, rarely, looks so) and becomes a candidate. Keys are kept as 8-byte
    digests (no false match among a few million rows), never as e-mail addresses.
    """

    def __init__(self):
        self._bits = bytearray(REPEAT_FILTER_BYTES)
        self.candidates = set()

    def add(self, key):
        digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
        met = True
        for probe in range(REPEAT_PROBES):
            bit = int.from_bytes(digest[probe * 4 : probe * 4 + 4], "little")
            byte, mask = (bit >> 3) % REPEAT_FILTER_BYTES, 1 << (bit & 7)
            if not self._bits[byte] & mask:
                met = False
                self._bits[byte] |= mask
        if met:
            self.candidates.add(digest[:8])

    def seen(self):
        """A fresh _Seen for one read of the file's rows."""
        return _Seen(self.candidates)


class _Seen:
    """The first line of each candidate repeat met so far in one read of the file."""

    def __init__(self, candidates):
        self._candidates = candidates
        self._lines = {}

    def first_line(self, key, line):
        """The line on which ``key`` first appeared (``line`` itself if new)."""
        digest = hashlib.blake2b(key.encode(), digest_size=16).digest()[:8]
        if digest not in self._candidates:
            return line
        return self._lines.setdefault(digest, line)


@dataclass(frozen=True)
class _Existing:
    """The stored customers a batch of rows may update, by platform id and by e-mail."""

    by_id: dict
    by_email: dict


def _plan_row(row, existing, seen, layout, accept_lost=False):
    """(the customer to save or None, whether it is new, this row's problems)."""
    problems = _row_problems(row)
    for key in _repeat_keys(row.email_key, row.values, layout):
        first = seen.first_line(key, row.line)
        if first == row.line:
            continue
        if key == row.email_key:
            message = _("%(line)d行目と同じメールアドレスです。") % {"line": first}
            problems.append(Problem(row.line, row.headers["email"], message))
        else:
            message = _("%(line)d行目と同じ顧客IDです。") % {"line": first}
            problems.append(Problem(row.line, row.headers[EXTERNAL_ID_KEY], message))
    known_id = external_id(row.values, layout)
    # The platform's id first (a re-import updates by it even when the e-mail changed),
    # then the e-mail.
    matches = existing.by_id.get(known_id, []) if known_id else []
    if not matches and row.email_key:
        matches = existing.by_email.get(row.email_key, [])
    if len(matches) > 1:
        message = _("このメールアドレスの顧客が複数います。管理画面で統合してください。")
        problems.append(Problem(row.line, row.headers["email"], message))
        return None, False, sorted(set(problems), key=_problem_order)
    customer = matches[0] if matches else Customer()
    customer.import_changes = not matches
    customer.import_diff = []
    for name, value in customer_values(row.values).items():
        if not value:
            continue  # blank keeps the stored value
        if matches:
            stored = getattr(customer, name)
            if stored == value:
                continue
            lost = looks_lost(stored, value)
            customer.import_diff.append(Change(name, stored, value, lost))
            if lost and not accept_lost:
                continue  # never applied without the person's explicit choice
        setattr(customer, name, value)
        customer.import_changes = True
    if known_id and customer.external_id != known_id:
        customer.external_id = known_id
        customer.import_changes = True
    # The model repeats some checks made above (e-mail, phone, card numbers): keep one
    # message per cell.
    reported = {p.column for p in problems}
    problems.extend(p for p in _model_problems(row, customer) if p.column not in reported)
    return customer, not matches, sorted(set(problems), key=_problem_order)


def _problem_order(problem):
    return (problem.line or 0, problem.column, problem.message)


def _is_platform_id(key, cell, layout):
    """True for the platform's own customer id: a plain run of digits in its id column.

    Shopify's ids are 13 digits and some pass the Luhn check, so the card guard would
    refuse them. Only the column the platform's layout names as its id, holding nothing
    but ASCII digits (no spaces, dashes or full-width digits, which no platform writes),
    is exempt; every other cell of the file is guarded as before.
    """
    value = cell.strip().removeprefix("'")
    return layout.platform and key == EXTERNAL_ID_KEY and value.isascii() and value.isdigit()


def _row(line, cells, keys, header, layout):
    values, headers, card_columns = {}, {}, []
    for position, cell in enumerate(cells):
        key = keys[position] if position < len(keys) else None
        original = header[position] if position < len(header) else f"#{position + 1}"
        # Card numbers are refused in every cell, known column or not, except the
        # platform's own id in its own column.
        if contains_card_number(cell) and not _is_platform_id(key, cell, layout):
            card_columns.append(original.strip())
        if key is not None and (key not in values or not values[key]):
            values[key], headers[key] = _clean_cell(key, cell), original.strip()
    for key, original in zip(keys, header, strict=False):
        if key and key not in headers:
            values[key], headers[key] = "", original.strip()
    row = _Row(line, values, headers, card_columns=card_columns)
    row.email_key = normalise("email", values.get("email", ""))
    return row


def plans(source, encoding, layout, repeats, accept_lost=False):
    """Yield (customer, is new, problems) for every row of the file, in order.

    The file is read as it goes, ``BATCH_ROWS`` rows at a time with one look-up of their
    e-mails, so memory holds one batch, whatever the length of the file; ``repeats``
    (from ``count_rows``) says which e-mails and ids to watch for repeats.
    """
    reader = _reader(source, encoding)
    keys, header = _layout(reader, layout)
    seen = repeats.seen()
    rows = (_row(line, cells, keys, header, layout) for line, cells in _records(reader))
    while batch := list(islice(rows, BATCH_ROWS)):
        by_id = _existing_by_external_id(batch, layout)
        existing = _Existing(by_id, _existing_by_email(batch))
        for row in batch:
            yield _plan_row(row, existing, seen, layout, accept_lost)


def check(source, encoding, layout, repeats):
    """Check every row without writing; return (rows, new customers) or ImportRefused."""
    shown, total, rows, created = [], 0, 0, 0
    for _customer, is_new, problems in plans(source, encoding, layout, repeats):
        rows, created = rows + 1, created + is_new
        total += len(problems)
        shown.extend(problems[: MAX_PROBLEMS_SHOWN - len(shown)])
    if total:
        raise ImportRefused(shown, reason=Reason.ROWS, total=total)
    return rows, created


@dataclass
class ImportEntries:
    """An import's customer.import entries: one per ``ENTRY_CUSTOMERS`` customers, each
    with the file's facts and the import's id, the last one with the totals as well."""

    detail: dict
    request: object = None
    actor: object = None
    import_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    parts: int = 0

    def record(self, customers, totals=None):
        self.parts += 1
        detail = {**self.detail, "import": self.import_id, "part": self.parts}
        if totals is not None:
            detail.update(totals, parts=self.parts)
        ledger.record(
            Action.CUSTOMER_IMPORT,
            request=self.request,
            actor=self.actor,
            customers=customers,
            detail=detail,
        )


def write(source, found, layout, repeats, entries, accept_lost=False):
    """Save every row's customer and record them; call inside the import's transaction.

    The rows are written ``ENTRY_CUSTOMERS`` at a time, each part followed by its ledger
    entry (``entries``), so memory holds one part's ids whatever the length of the file.
    The rows were checked already; a problem now means the database changed in between
    (another import, an edit), and raises ImportRefused so the transaction rolls back.
    """
    result = ImportResult(digest=found.digest, encoding=found.encoding)
    rows = plans(source, found.encoding, layout, repeats, accept_lost)
    while True:
        # The part's saves are recorded by its own entry (they write none of their own,
        # nor compare their fields, row by row), and the block forgets them after it.
        with changes.recorded_by_caller(naming=False):
            ids = _write_part(islice(rows, ENTRY_CUSTOMERS), result, accept_lost, entries)
            following = next(rows, None)
            if following is None:
                entries.record(ids, _totals(result, accept_lost))
                return result
            entries.record(ids)
        rows = chain([following], rows)


def _totals(result, accept_lost):
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "kept_lost": result.kept_lost,
        "accept_lost": accept_lost,
    }


def _write_part(rows, result, accept_lost, entries):
    """Save one part's customers (counted into ``result``); return their ids."""
    ids, new = [], []
    for customer, is_new, problems in rows:
        if problems:
            raise ImportRefused(problems, reason=Reason.ROWS)
        if not accept_lost:
            result.kept_lost += sum(change.lost for change in customer.import_diff)
        if is_new:
            new.append(customer)
            result.created += 1
            if len(result.created_ids) < FIRST_CREATED:
                result.created_ids.append(customer.pk)
            if len(new) >= BATCH_ROWS:
                _create(new)
        elif customer.import_changes:
            # A changed e-mail or phone is a contact change like one typed on the
            # customer's page: the previous one is kept sealed and told (finding 1 of
            # issue #22), so an import cannot reroute a customer's own requests.
            contact = [
                change.field
                for change in customer.import_diff
                if change.field in reading.CONTACT_FIELDS and (accept_lost or not change.lost)
            ]
            if contact:
                reading.keep_previous_contact(
                    entries.request, customer, contact, actor=entries.actor
                )
            customer.save()
            result.updated += 1
        else:
            result.unchanged += 1  # the same values again: nothing to write
        ids.append(customer.pk)
    _create(new)
    return ids


def _create(customers):
    """Insert new customers in one statement, with what save() would have done first
    (the card guard, the blind indexes): one INSERT per batch instead of one per row."""
    for customer in customers:
        refuse_card_numbers_in(customer)
        customer.refresh_blind_indexes()
    Customer.objects.bulk_create(customers)
    customers.clear()


def _as_file(data):
    return io.BytesIO(data) if isinstance(data, bytes | bytearray) else data


def _detail(layout, **more):
    """The ledger's facts about the file's layout (a saved mapping by its name)."""
    if layout.platform:
        return {"format": layout.name, **more}
    return {"format": "preset", "preset": layout.name, **more}


class _Opened(NamedTuple):
    found: _Scan
    repeats: Repeats


def _opened(source, layout, detail, expected_digest=None):
    """Scan ``source`` and count its rows; return an _Opened or raise ImportRefused.

    ``expected_digest`` is the SHA-256 of the file a person previewed: a different file
    is refused, so what is written is what was shown.
    """
    found = scan(source)
    detail.update(sha256=found.digest, bytes=found.size)
    if expected_digest is not None and found.digest != expected_digest:
        raise _file_refused(Reason.NOT_PREVIEWED, not_previewed_message())
    if found.size > MAX_FILE_BYTES:
        raise _file_refused(Reason.TOO_LARGE, too_large_message())
    if found.encoding is None:
        raise _file_refused(Reason.ENCODING, encoding_message())
    detail["encoding"] = found.encoding
    limit = settings.SHOPGUARD_IMPORT_MAX_ROWS
    counted = count_rows(source, found.encoding, limit, layout)
    detail["rows"] = counted.rows
    return _Opened(found, counted.repeats)


def not_previewed_message():
    return _(
        "確認したファイルと違うファイルです。何も登録していません。"
        "もう一度ファイルを選んで、変更内容を確認してください。"
    )


# Rows the mapping page shows, masked: enough to recognise each column.
SAMPLE_ROWS = 5


@dataclass(frozen=True)
class Sample:
    """A file's header and first rows, masked, for the mapping page (``sample``)."""

    encoding: str
    header: list
    rows: list  # SAMPLE_ROWS lists of masked cells


def mask_cell(cell):
    """A cell as the mapping page shows it: its first character, the rest hidden.

    Enough to tell a name column from a phone column, not enough to read anyone's data;
    digits are hidden whole (a first digit of a phone or card says nothing useful).
    """
    cell = cell.strip()
    if not cell:
        return ""
    first = "＊" if cell[0].isdigit() else cell[0]
    return first + "＊" * min(len(cell) - 1, 5)


def sample(data):
    """The header and the first ``SAMPLE_ROWS`` rows of ``data``, masked; ImportRefused for
    a file too large or in no accepted encoding. Reads the bytes once for the encoding
    and then only the first rows, so a 50,000-row file answers at once."""
    source = _as_file(data)
    found = scan(source)
    if found.size > MAX_FILE_BYTES:
        raise _file_refused(Reason.TOO_LARGE, too_large_message())
    if found.encoding is None:
        raise _file_refused(Reason.ENCODING, encoding_message())
    reader = _reader(source, found.encoding)
    try:
        header = [h.strip() for h in next(reader)]
        rows = [
            [mask_cell(c) for c in cells] for _line, cells in islice(_records(reader), SAMPLE_ROWS)
        ]
    except (StopIteration, csv.Error):
        raise _file_refused(Reason.NOT_CSV, _("見出し行がありません。")) from None
    return Sample(found.encoding, header, rows)


def import_customers(
    data,
    file_format="shopify",
    *,
    request=None,
    actor=None,
    accept_lost=False,
    expected_digest=None,
):
    """Import ``data`` (a binary file open for reading, or bytes) all or nothing.

    ``file_format`` is a platform's format name ("shopify", "eccube") or a Layout (a
    saved mapping, customers.platforms).

    Returns an ImportResult or raises ImportRefused. The file is read four times in
    chunks, never whole: its bytes (digest, size, encoding), its rows (header, syntax,
    count, repeated e-mails and ids), every row checked, and every row written in one
    transaction with an entry per ``ENTRY_CUSTOMERS`` customers. A refused file leaves
    no such entry and is recorded (outcome ``refused``, with its reason and counts). A value that
    looks like a lost character (see ``looks_lost``) keeps the stored one unless
    ``accept_lost`` says the person chose to apply it.
    """
    layout = layout_for(file_format)
    source = _as_file(data)
    detail = _detail(layout)
    try:
        found, repeats = _opened(source, layout, detail, expected_digest)
        # Matching by e-mail and validating the updated customers decrypts them; the
        # import's own entries name every customer it touched.
        with bulk_read("import_match"):
            check(source, found.encoding, layout, repeats)
        entries = ImportEntries(detail, request, actor)
        with transaction.atomic(), bulk_read("import_match"):
            result = write(source, found, layout, repeats, entries, accept_lost)
    except ImportRefused as refused:
        _record_refusal(refused, detail, request=request, actor=actor)
        raise
    except UnicodeDecodeError:
        # The scan found the encoding valid; the file changed while it was read.
        refused = _file_refused(Reason.ENCODING, encoding_message())
        _record_refusal(refused, detail, request=request, actor=actor)
        raise refused from None
    return result


def preview(data, file_format="shopify", *, request=None, actor=None, show_values=False):
    """What importing ``data`` would change, without writing: an ImportPreview.

    Counts per field how many known customers would change and how many of those changes
    look like lost characters. With ``show_values`` (a person allowed to see the values)
    the first ``PREVIEW_SAMPLES`` changes carry their values side by side, and the ledger
    entry of the preview names the customers whose values are shown. A file with
    problems raises ImportRefused, recorded as an import's refusal is.
    """
    layout = layout_for(file_format)
    source = _as_file(data)
    detail = _detail(layout, step="preview")
    try:
        found, repeats = _opened(source, layout, detail)
        with bulk_read("import_match"):
            result = _previewed(source, found, layout, repeats, show_values)
    except ImportRefused as refused:
        _record_refusal(refused, detail, request=request, actor=actor)
        raise
    if result.needs_a_look:
        shown = sorted({str(sample.customer_id) for sample in result.samples})
        detail.update(created=result.created, updated=result.updated, shown=len(shown))
        ledger.record(
            Action.CUSTOMER_IMPORT, request=request, actor=actor, customers=shown, detail=detail
        )
    return result


def _previewed(source, found, layout, repeats, show_values):
    result = ImportPreview(digest=found.digest, encoding=found.encoding)
    shown, total = [], 0
    for customer, is_new, problems in plans(source, found.encoding, layout, repeats):
        total += len(problems)
        shown.extend(problems[: MAX_PROBLEMS_SHOWN - len(shown)])
        if total:
            continue
        result.count(customer, is_new, show_values)
    if total:
        raise ImportRefused(shown, reason=Reason.ROWS, total=total)
    return result


def _record_refusal(refused, detail, *, request, actor):
    refused.digest = refused.digest or detail.get("sha256", "")
    detail.update(reason=refused.reason, problems=refused.total, sha256=refused.digest)
    ledger.record(
        Action.CUSTOMER_IMPORT,
        request=request,
        actor=actor,
        outcome=Outcome.REFUSED,
        detail=detail,
    )
