"""Import customers from Shopify's customer CSV export, all or nothing.

The whole file is checked before anything is written: one bad row imports nothing, and
every bad row is reported by line and column without echoing its value, because these
messages end up on screens, in terminals and in logs ("line 7, Email: not a valid e-mail
address"). A customer whose e-mail is already known (found through the e-mail blind
index) is updated instead of duplicated; a value left blank in the file keeps the stored
one. The import is recorded in the audit ledger with its counts and the file's SHA-256,
never its contents, in the same transaction as the writes.

Columns follow Shopify's documentation in both the older template (Company, Address1,
Province Code, Accepts Marketing...) and the current export (Default Address Company,
Default Address Address1, Accepts Email Marketing...). Headers are matched without regard
to case, width or spacing, so the Transporter spelling ("First name") works too. Shopify
has no separate kana column; Japanese names are stored as 姓 名 (Last Name, First Name).
"""

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from auditlog.context import disable_auditlog
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from audit import ledger
from customers.demo import PREFECTURES
from customers.models import Customer
from customers.validators import CARD_NUMBER_MESSAGE, contains_card_number, validate_phone
from shopguard.blind_index import blind_index, normalise

FORMATS = ("shopify",)
# A customer export of a small shop is a few MB; 20 MB is ~100,000 customers with room
# to spare, and keeps one upload from holding a worker's memory for long.
MAX_FILE_BYTES = 20 * 1024 * 1024
LOOKUP_CHUNK = 500  # blind indexes per IN (...) query: far below every database's limit

# Normalised header -> our key. "Default Address X" is folded onto "X" (see _header_key).
COLUMNS = {
    "customer id": "shopify_id",
    "first name": "first_name",
    "last name": "last_name",
    "email": "email",
    "company": "company",
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "province": "province",
    "province code": "province_code",
    "country": "country",
    "country code": "country_code",
    "zip": "zip",
    "phone": "phone",
    "default address phone": "address_phone",
    "accepts marketing": "accepts_email_marketing",
    "accepts email marketing": "accepts_email_marketing",
    "accepts sms marketing": "accepts_sms_marketing",
    "total spent": "total_spent",
    "total orders": "total_orders",
    "note": "note",
    "tax exempt": "tax_exempt",
    "tags": "tags",
}
YES_NO_COLUMNS = ("accepts_email_marketing", "accepts_sms_marketing", "tax_exempt")
YES = {"yes", "true", "1", "y"}
NO = {"no", "false", "0", "n", ""}
# Customer fields and the file columns their errors are reported against.
FIELD_COLUMNS = {
    "name": ("last_name", "first_name"),
    "email": ("email",),
    "phone": ("phone", "address_phone"),
    "postal_code": ("zip",),
    "address": ("address1", "city", "province_code"),
}


class ImportRefused(Exception):
    """The file was not imported; ``problems`` says where, without personal data."""

    def __init__(self, problems, digest=""):
        super().__init__(f"{len(problems)} problem(s); nothing was imported.")
        self.problems = problems
        self.digest = digest


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
    customer_ids: list = field(default_factory=list)


@dataclass
class _Row:
    line: int
    values: dict  # our key -> cleaned string
    headers: dict  # our key -> header as written in the file
    email_key: str = ""
    card_columns: list = field(default_factory=list)  # headers of cells with card numbers


def _unknown_encoding():
    return ImportRefused(
        [Problem(None, _("ファイル"), _("文字コードを判別できません（UTF-8 か CP932）。"))]
    )


def decode(data):
    """Return (text, encoding name) for UTF-8 with or without BOM, or CP932."""
    if data.startswith(b"\xef\xbb\xbf"):
        # A BOM says UTF-8: bytes after it that are not UTF-8 are refused, not guessed at.
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raise _unknown_encoding() from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932"), "cp932"
    except UnicodeDecodeError:
        raise _unknown_encoding() from None


def _header_key(header):
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", header)).strip().lower()
    if text in COLUMNS:
        return COLUMNS[text]
    if text.startswith("default address "):
        return COLUMNS.get(text.removeprefix("default address "))
    return None


def _records(text):
    """Yield (first line number, list of cells) for every record after the header."""
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    for cells in reader:
        yield line, cells
        line = reader.line_num + 1


def parse(text):
    """Return (header keys by position, original headers, rows) or raise ImportRefused."""
    records = _records(text)
    try:
        header = next(records)[1]
    except (StopIteration, csv.Error):
        raise ImportRefused([Problem(None, _("ファイル"), _("見出し行がありません。"))]) from None
    keys = [_header_key(h) for h in header]
    problems = []
    if "email" not in keys:
        problems.append(Problem(1, "Email", _("Email 列が必要です（値は空でも構いません）。")))
    if "first_name" not in keys and "last_name" not in keys:
        problems.append(Problem(1, "Last Name", _("First Name か Last Name の列が必要です。")))
    rows = []
    try:
        for line, cells in records:
            if not any(c.strip() for c in cells):
                continue
            rows.append((line, cells))
    except csv.Error:
        problems.append(Problem(None, _("ファイル"), _("CSV として読めない箇所があります。")))
    if problems:
        raise ImportRefused(problems)
    return keys, header, rows


def _clean_cell(key, value):
    value = value.strip()
    # Shopify prefixes phone numbers and postal codes with ' so Excel keeps them as text.
    if key in ("phone", "address_phone", "zip") and value.startswith("'"):
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


def _prefecture(values):
    code = values.get("province_code", "").upper().removeprefix("JP-")
    country = values.get("country_code", "").upper()
    if country in ("", "JP") and code.isdigit() and 1 <= int(code) <= len(PREFECTURES):
        return PREFECTURES[int(code) - 1]
    return values.get("province", "") or values.get("province_code", "")


def customer_values(values):
    """Our Customer field values from one row's cleaned cells ('' where the file is silent)."""
    name = " ".join(v for v in (values.get("last_name"), values.get("first_name")) if v)
    street = "".join(
        v for v in (_prefecture(values), values.get("city"), values.get("address1")) if v
    )
    address = " ".join(v for v in (street, values.get("address2"), values.get("company")) if v)
    country = values.get("country_code", "").upper()
    if address and country not in ("", "JP"):
        address = f"{address} {country}"
    return {
        "name": name,
        "email": values.get("email", ""),
        "phone": values.get("phone") or values.get("address_phone", ""),
        "postal_code": values.get("zip", ""),
        "address": address,
    }


def _existing_by_email(rows):
    """{normalised e-mail: [customers]} for the file's e-mails, through the blind index."""
    indexes = sorted({blind_index("email", r.values["email"]) for r in rows if r.email_key})
    found = {}
    for start in range(0, len(indexes), LOOKUP_CHUNK):
        chunk = indexes[start : start + LOOKUP_CHUNK]
        for customer in Customer.objects.filter(email_index__in=chunk).order_by("created_at"):
            # The index is 32 bits: decrypt and compare to drop the rare false match.
            found.setdefault(normalise("email", customer.email), []).append(customer)
    return found


def _model_problems(row, customer):
    """Run the model's own validation (card rule, lengths, phone...) on the planned row."""
    try:
        customer.full_clean(exclude=["email_index", "phone_index", "name_index"])
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


def plan(rows):
    """Check every row; return (customers to save, created count) or raise ImportRefused."""
    problems, seen = [], {}
    for row in rows:
        problems.extend(_row_problems(row))
        if row.email_key in seen:
            problems.append(
                Problem(
                    row.line,
                    row.headers["email"],
                    _("%(line)d行目と同じメールアドレスです。") % {"line": seen[row.email_key]},
                )
            )
        elif row.email_key:
            seen[row.email_key] = row.line
    existing = _existing_by_email(rows)
    planned, created = [], 0
    for row in rows:
        matches = existing.get(row.email_key, []) if row.email_key else []
        if len(matches) > 1:
            message = _("このメールアドレスの顧客が複数います。管理画面で統合してください。")
            problems.append(Problem(row.line, row.headers["email"], message))
            continue
        customer = matches[0] if matches else Customer()
        created += not matches
        for name, value in customer_values(row.values).items():
            if value:  # blank keeps the stored value
                setattr(customer, name, value)
        # The model repeats some checks made above (e-mail, phone, card numbers): keep
        # one message per cell.
        reported = {(p.line, p.column) for p in problems}
        problems.extend(
            p for p in _model_problems(row, customer) if (p.line, p.column) not in reported
        )
        planned.append(customer)
    if problems:
        raise ImportRefused(sorted(set(problems), key=_problem_order))
    return planned, created


def _problem_order(problem):
    return (problem.line or 0, problem.column, problem.message)


def read_rows(data):
    """Decode and parse ``data``; return (rows, encoding) or raise ImportRefused."""
    text, encoding = decode(data)
    keys, header, records = parse(text)
    rows = []
    for line, cells in records:
        values, headers, card_columns = {}, {}, []
        for position, cell in enumerate(cells):
            key = keys[position] if position < len(keys) else None
            original = header[position] if position < len(header) else f"#{position + 1}"
            # Card numbers are refused in every cell, known column or not.
            if contains_card_number(cell):
                card_columns.append(original.strip())
            if key is not None and (key not in values or not values[key]):
                values[key], headers[key] = _clean_cell(key, cell), original.strip()
        for key, original in zip(keys, header, strict=False):
            if key and key not in headers:
                values[key], headers[key] = "", original.strip()
        row = _Row(line, values, headers, card_columns=card_columns)
        row.email_key = normalise("email", values.get("email", ""))
        rows.append(row)
    return rows, encoding


def import_customers(data, file_format="shopify", *, request=None, actor=None):
    """Import ``data`` (the file's bytes); return an ImportResult or raise ImportRefused.

    A refused file is recorded too (outcome ``refused``, with the number of problems).
    """
    if file_format not in FORMATS:
        raise ValueError(f"Unknown import format {file_format!r}.")
    digest = hashlib.sha256(data).hexdigest()
    detail = {"format": file_format, "sha256": digest, "bytes": len(data)}
    try:
        if len(data) > MAX_FILE_BYTES:
            limit = MAX_FILE_BYTES // (1024 * 1024)
            message = _("ファイルが大きすぎます（上限 %(mb)d MB）。") % {"mb": limit}
            raise ImportRefused([Problem(None, _("ファイル"), message)])
        rows, encoding = read_rows(data)
        planned, created = plan(rows)
    except ImportRefused as refused:
        refused.digest = digest
        detail["problems"] = len(refused.problems)
        ledger.record(
            "customer.import", request=request, actor=actor, outcome="refused", detail=detail
        )
        raise
    result = ImportResult(created, len(planned) - created, digest, encoding)
    # One customer.import entry lists every customer it created or updated, so the rows'
    # own change-capture entries (a few queries each) would only repeat it.
    with transaction.atomic(), disable_auditlog():
        for customer in planned:
            customer.save()
        result.customer_ids = [c.pk for c in planned]
        detail.update(rows=len(rows), created=result.created, updated=result.updated)
        detail["encoding"] = encoding
        ledger.record(
            "customer.import",
            request=request,
            actor=actor,
            customers=result.customer_ids,
            detail=detail,
        )
    return result
