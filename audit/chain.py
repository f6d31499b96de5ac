# ruff: noqa: S608 (the SQL is built from constants and whole numbers only)
"""The ledger's hash chain: canonical content, chain values and verification.

Each entry's chain value is HMAC-SHA256, keyed by ``AUDIT_CHAIN_KEY``, over the entry's
canonical content, which ends with the previous entry's chain value. Someone who can
write to the database but does not hold the key cannot edit, insert, remove or reorder
an entry and rebuild the values after it.

Canonical content: the columns of ``CHAIN_FIELDS`` as text, joined by the unit
separator (U+001F), which ``record`` keeps out of every column; time is whole
microseconds since 1970 (UTC), a missing actor id is empty, ``customer_ids`` and
``detail`` are their stored compact JSON text. ``verify_audit`` has the database build
the same text (see ``canonical_sql``) so that checking needs no parsing in Python. The
same query brings each entry's rows of the customer index, which must hold exactly the
chained ``customer_ids`` (with the entry's actor and time).
"""

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from audit import appearances
from audit.actions import Action

SEPARATOR = "\x1f"


class ChainedColumns(NamedTuple):
    """The columns an entry's chain value covers, in their order in the canonical
    content, as text: an intact entry's content split at ``SEPARATOR``."""

    seq: str
    created_at: str  # whole microseconds since 1970, UTC
    action: str
    outcome: str
    actor_id: str  # "" without an actor
    actor_username: str
    actor_role: str
    ip: str
    user_agent: str
    request_id: str
    target_type: str
    target_id: str
    customer_ids: str  # canonical JSON
    detail: str  # canonical JSON
    prev_chain: str  # the chain value of the entry before ("" for the first)


CHAIN_FIELDS = ChainedColumns._fields


class Head(NamedTuple):
    """The ledger head as stored: the last entry's number and chain value."""

    seq: int
    chain: str


class Start(NamedTuple):
    """Where the kept ledger starts: its first entry and the chain value it follows
    ("" when nothing was purged before it)."""

    seq: int
    prev_chain: str


class SeqRange(NamedTuple):
    """Entries ``first`` to ``last`` (their ``seq``), both included."""

    first: int
    last: int


PURGE_ACTION = Action.AUDIT_PURGE
INDEX_PROBLEM = "does not match its rows in the customer index (missing, extra or changed)"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_dump = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def canonical_json(value):
    """The one text form of ``customer_ids`` and ``detail``: sorted keys, no spaces,
    ASCII only (so it holds no U+001F either)."""
    return _dump(value)


def micros(moment):
    """Whole microseconds since 1970-01-01 UTC."""
    return (moment - _EPOCH) // _MICROSECOND


def canonical(entry):
    """The canonical content of an ``AuditEntry`` (see the module docstring)."""
    columns = {name: getattr(entry, name) for name in CHAIN_FIELDS}
    columns["created_at"] = micros(entry.created_at)
    columns["actor_id"] = "" if entry.actor_id is None else entry.actor_id
    columns["customer_ids"] = canonical_json(entry.customer_ids)
    columns["detail"] = canonical_json(entry.detail)
    return SEPARATOR.join(map(str, columns.values()))


def columns_of(content):
    """The ``ChainedColumns`` of an intact entry's canonical content (its chain value
    matched: ``record`` keeps the separator out of every column)."""
    return ChainedColumns(*content.split(SEPARATOR))


def seq_of(content):
    """The entry number at the start of canonical content, intact or not."""
    return int(content.partition(SEPARATOR)[0])


class Hmac:
    """HMAC-SHA256 with the key's inner and outer pads hashed once, not per entry."""

    def __init__(self, key):
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        self.inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self.outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def hexdigest(self, message):
        inner = self.inner.copy()
        inner.update(message)
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def chain_value(key, entry):
    """HMAC-SHA256 of the entry's canonical content (which includes the previous value)."""
    return Hmac(key).hexdigest(canonical(entry).encode())


def canonical_sql(vendor, table="audit_auditentry", seq_range=None):
    """A query giving, per entry in ``seq`` order, its chain value, its canonical
    content, built by the database in one formatting call (``printf``/``format`` print
    NULL as empty text, as ``canonical`` does), and, where the database keeps customer
    appearance rows (``audit.appearances``), '[null]' when they are not exactly its
    ``customer_ids`` (else NULL)."""
    if vendor == "sqlite":
        # Django stores "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC). SQLite's date functions
        # round a time to whole milliseconds before anything else, so 15.9995 s would
        # count as 16 s: whole seconds come from the text without its fraction.
        whole = "substr(created_at, 1, 19)"
        if sqlite3.sqlite_version_info >= (3, 38):
            seconds = f"unixepoch({whole})"
        else:
            seconds = f"strftime('%s', {whole})"
        fraction = "CAST(substr(created_at || '.000000', 21, 6) AS INTEGER)"
        time = f"CAST({seconds} AS INTEGER) * 1000000 + {fraction}"
        formatter = "printf"
    elif vendor == "postgresql":
        time = "(EXTRACT(EPOCH FROM created_at) * 1000000)::bigint"
        formatter = "format"
    else:
        raise NotImplementedError(f"verify_audit does not know {vendor}.")
    template = SEPARATOR.join(["%s"] * len(CHAIN_FIELDS))
    columns = ", ".join(time if name == "created_at" else name for name in CHAIN_FIELDS)
    where = ""
    if seq_range is not None:
        where = f"WHERE seq >= {int(seq_range.first)} AND seq <= {int(seq_range.last)} "
    index_rows, index_join = appearances.verify_column(vendor, table, where)
    return (
        f"SELECT chain, {formatter}('{template}', {columns}), {index_rows} "
        f"FROM {table} e {index_join}{where}ORDER BY seq"
    )


def appearance_count_sql():
    """How many customer appearance rows there are (NULL where none are kept)."""
    return appearances.count_sql()


def stray_index_sql(table="audit_auditentry"):
    """The lowest entry id that customer appearance rows name but the ledger does not
    hold."""
    return appearances.stray_sql(table)


@dataclass
class Segment:
    """What ``scan`` learnt from a run of consecutive entries."""

    count: int = 0
    first: str | None = None  # canonical content of the first entry
    last: str | None = None  # canonical content of the last entry
    last_chain: str = ""
    checkpoint: str | None = None  # content of the last purge checkpoint seen
    bad: str | None = None  # content of the first bad entry
    problem: str = ""
    named: int = 0  # customers named by its entries, where appearance rows are checked


@dataclass
class Verdict:
    count: int = 0
    head: str = ""
    head_seq: int = 0
    first_seq: int = 0
    bad_seq: int | None = None
    problem: str = ""

    @property
    def intact(self):
        return self.bad_seq is None and not self.problem

    @property
    def message(self):
        """What is wrong, naming the entry when there is one."""
        return self.problem if self.bad_seq is None else f"entry {self.bad_seq} {self.problem}"


def scan(key, rows):
    """Check ``(chain, canonical content, index)`` rows in ``seq`` order
    (``canonical_sql``).

    Each entry's content carries its number and ends with the previous chain value,
    both covered by its own HMAC: an edited, inserted or moved entry fails its HMAC, a
    removed one breaks the link of the entry after it. ``index`` (when not NULL) must
    hold the same customers as the chained ``customer_ids`` ('' when the database
    already found the one customer an entry names: ``appearances.verify_column``); the
    segment counts the customers of its entries (``named``).
    """
    segment = Segment()
    mac = Hmac(key)
    inner, outer = mac.inner, mac.outer
    purge_mark = f"{SEPARATOR}{PURGE_ACTION}{SEPARATOR}"
    prev = content = None
    for chain, content, index in rows:
        if prev is None:
            segment.first = content
        elif content[-64:] != prev:
            segment.bad, segment.problem = content, "does not follow the entry before it"
            break
        i = inner.copy()
        i.update(content.encode())
        o = outer.copy()
        o.update(i.digest())
        if o.hexdigest() != chain:
            segment.bad, segment.problem = content, "does not match its chain value"
            break
        if index is not None:
            named = 1 if index == "" else _same_customers(content, index)
            if named is None:
                segment.bad, segment.problem = content, INDEX_PROBLEM
                break
            segment.named += named
        if purge_mark in content:
            segment.checkpoint = content
        prev = chain
        segment.count += 1
    segment.last, segment.last_chain = content, prev or ""
    return segment


def combine(segments, head=None, stray_entry_id=None):
    """The ``Verdict`` on consecutive segments (one, or several scanned in parallel).

    ``head`` is the stored ``Head`` of the ledger: entries removed at the end leave the
    head pointing past the last entry. ``stray_entry_id`` is an entry id
    that customer index rows name but the ledger lacks (``stray_index_sql``).
    """
    verdict = _combine(segments, head)
    if verdict.intact and stray_entry_id is not None:
        verdict.problem = (
            f"customer index has rows for entry id {stray_entry_id}, which is not in the ledger"
        )
    return verdict


def _combine(segments, head):
    verdict = Verdict()
    segments = [s for s in segments if s.first is not None]
    checkpoint = None
    for previous, segment in zip([None, *segments], segments, strict=False):
        if previous is not None and segment.first[-64:] != previous.last_chain:
            return _bad(verdict, segment.first, "does not follow the entry before it")
        if segment.bad is not None:
            return _bad(verdict, segment.bad, segment.problem)
        checkpoint = segment.checkpoint or checkpoint
        verdict.count += segment.count
    if not segments:
        return _check_empty(verdict, head)
    first = columns_of(segments[0].first)
    start = Start(int(first.seq), first.prev_chain)
    if start != Start(1, "") and _checkpoint_start(checkpoint) != start:
        # Older entries were purged: the latest checkpoint must name this very start.
        return _bad(
            verdict, segments[0].first, "has no checkpoint for the entries removed before it"
        )
    verdict.first_seq = start.seq
    verdict.head = segments[-1].last_chain
    verdict.head_seq = seq_of(segments[-1].last)
    if head is not None and head.seq > verdict.head_seq:
        verdict.bad_seq = verdict.head_seq + 1
        verdict.problem = f"is missing: the ledger head is at entry {head.seq}"
    return verdict


def _check_empty(verdict, head):
    # No entry is left to fail its own chain value: only the head still counts them
    # (a TRUNCATE, or a DELETE past the triggers).
    if head is not None and head.seq > 0:
        verdict.bad_seq = head.seq
        verdict.problem = (
            f"is missing, and every entry before it: the ledger is empty but its head "
            f"is at entry {head.seq}"
        )
    return verdict


def verify_chain(key, rows, head=None):
    """Check all entries, in ``seq`` order, in this process; return the ``Verdict``."""
    return combine([scan(key, rows)], head=head)


def _same_customers(content, index):
    """How many customers an entry names when its appearance rows (``index``: their
    customer ids as a JSON array, null for a key that names no customer) are exactly the
    customers of its chained ``customer_ids``, as sets (an entry's ids are distinct, and
    so are its appearances: their primary key); None when they are not."""
    expected = set(_string_list(columns_of(content).customer_ids))
    found = _string_list(index)
    distinct = set(found)
    if None in distinct or len(distinct) != len(found) or distinct != expected:
        return None
    return len(distinct)


def _string_list(text):
    """A JSON array of strings (or nulls), read quickly when it is the plain form the
    ledger's ids take: ``["a","b"]`` with nothing escaped. Anything else (an escape, a
    null, another spacing) is left to the JSON parser."""
    if text == "[]":
        return []
    if text.startswith('["') and text.endswith('"]') and "\\" not in text:
        items = text[2:-2].split('","')
        if text.count('"') == 2 * len(items):  # no quote inside an item: plain strings
            return items
    return json.loads(text)


def _checkpoint_start(content):
    """The start a purge checkpoint's entry names, or None."""
    if content is None:
        return None
    columns = columns_of(content)
    if columns.action != PURGE_ACTION:
        return None
    detail = json.loads(columns.detail)
    return Start(detail.get("first_seq"), detail.get("anchor"))


def _bad(verdict, content, problem):
    verdict.bad_seq = seq_of(content)
    verdict.problem = problem
    return verdict
