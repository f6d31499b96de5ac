"""Structured logging to stdout that keeps personal data out.

``JsonFormatter`` writes one JSON object per line. ``PersonalDataFilter`` rewrites every
record before it is formatted: e-mail addresses, phone numbers and card-like digit runs
in the message are replaced (UUIDs, such as customer ids in paths and request ids, are
kept whole), and extra fields with personal names are dropped (the names apps register
with ``scrub_extra_fields``).
"""

import contextvars
import json
import logging
import re
import unicodedata
from collections.abc import Iterable

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

EMAIL_RE = re.compile(r"[^\s@<>\"',;:]+@[^\s@<>\"',;:]+\.[A-Za-z]{2,}")
# 7 or more digits, possibly split by spaces, dashes, dots or brackets: phones and cards.
DIGITS_RE = re.compile(r"\+?\d[\d\s().\-]{5,}\d")
# A UUID (a customer's id in a path, a request id) in its usual 8-4-4-4-12 form, with at
# least one letter: kept whole, so a log line can be matched to its ledger entries. The
# letter rule keeps an all-digit run shaped like a UUID (where a card number could hide)
# scrubbed; a random UUID is all digits about once in a million.
UUID_RE = re.compile(
    r"((?<![0-9A-Za-z-])(?=[0-9-]{0,35}[a-fA-F])"
    r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}(?![0-9A-Za-z-]))"
)
# Extra fields dropped from every record. The library knows only the names every page
# uses; each app adds the names of its personal fields (customers: every field declared in
# customers.fields) with ``scrub_extra_fields`` when it is ready.
PERSONAL_KEYS = {"card_number", "password", "term", "q"}
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def scrub_extra_fields(names: Iterable[str]) -> None:
    """Have ``PersonalDataFilter`` drop log extra fields called any of ``names``."""
    PERSONAL_KEYS.update(names)


def scrub(text: object) -> str:
    """Replace e-mail addresses and long digit runs (phones, cards) in ``text``; UUIDs
    (ids and request ids) stay whole."""
    text = unicodedata.normalize("NFKC", str(text))
    text = EMAIL_RE.sub("[email]", text)
    # re.split with a group: the UUIDs are the odd pieces, the text between them the even.
    pieces = UUID_RE.split(text)
    return "".join(p if i % 2 else DIGITS_RE.sub("[number]", p) for i, p in enumerate(pieces))


def looks_personal(text: object) -> bool:
    """True when ``text`` holds something ``scrub`` would hide (an e-mail, a long number)."""
    return scrub(text) != unicodedata.normalize("NFKC", str(text))


class PersonalDataFilter(logging.Filter):
    """Scrub the message and drop personal extra fields; the record itself is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        for key in list(vars(record)):
            if key in PERSONAL_KEYS and key not in _STANDARD:
                delattr(record, key)
        if record.exc_info:
            # Exception text can carry values; keep only the exception type.
            record.exc_text = record.exc_info[0].__name__ if record.exc_info[0] else None
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and extras."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        if record.exc_text:
            data["exception"] = record.exc_text
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value if isinstance(value, int | float | bool) else scrub(value)
        return json.dumps(data, ensure_ascii=False)
