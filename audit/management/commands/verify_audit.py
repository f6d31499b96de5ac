"""Check the whole audit ledger against its hash chain.

Exit 0 and print the entry count and head value when every entry is intact; exit 1
naming the first entry that was edited, removed, inserted or moved, or whose rows in the
customer index differ from its chained ``customer_ids``. With ``--checkpoint FILE``
(several times, or a file of several lines), also exit 1 naming the first signed
checkpoint (``audit_checkpoint``) that the ledger no longer reaches and extends.

Each run then appends its verdict to the ledger as ``audit.verified`` (intact or broken,
the head it checked, the first bad entry's number), so the home page can show when the
ledger was last proved and what was found; ``--no-record`` checks without writing (a
copy kept as evidence).
"""

import multiprocessing
import os
import time
from typing import NamedTuple

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, connection, connections, transaction

from audit import checkpoint as checkpoints
from audit.actions import Action, Outcome
from audit.chain import (
    SeqRange,
    appearance_count_sql,
    canonical_sql,
    combine,
    scan,
    stray_index_sql,
)
from audit.ledger import current_head, record
from audit.models import AuditEntry

# Rows fetched per round trip: large enough that the database is not the bottleneck,
# small enough to keep memory flat on a ledger of millions.
CHUNK = 10_000
# Below this many entries a second process costs more than it saves.
PARALLEL_FROM = 50_000
_SEQ_BOUNDS = "(SELECT MIN(seq) FROM audit_auditentry), (SELECT MAX(seq) FROM audit_auditentry)"


def ledger_rows(seq_range=None):
    """Every entry (or those in the ``SeqRange``) as ``(chain, canonical content, index
    rows)`` (``canonical_sql``), streamed in ``seq`` order."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(canonical_sql(connection.vendor, seq_range=seq_range))
        while rows := cursor.fetchmany(CHUNK):
            yield from rows


def _scan_range(seq_range):
    """Run in a forked worker, on its own database connection."""
    return scan(settings.AUDIT_CHAIN_KEY, ledger_rows(seq_range))


def _can_fork():
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and not connection.in_atomic_block
        and not (connection.vendor == "sqlite" and connection.is_in_memory_db())
    )


def verify_ledger(workers=1):
    """Verify the stored ledger with ``workers`` processes; return the ``Verdict``.

    Entries are split into consecutive ranges of ``seq``, each checked on its own; the
    ranges are then joined link by link, so the result is the same as one pass.
    """
    head = current_head()  # read first: everything up to it is already committed
    bounds = _bounds()
    lo, hi = bounds.first_seq, bounds.last_seq
    if workers <= 1 or lo is None or hi - lo < PARALLEL_FROM or not _can_fork():
        # The entries of the bounds' moment only (as the parallel ranges): the count of
        # appearance rows read with them must meet exactly their customers
        # (``stray_entry_id``), not those of entries written since.
        whole = None if lo is None else SeqRange(lo, hi)
        segments = [scan(settings.AUDIT_CHAIN_KEY, ledger_rows(whole))]
    else:
        step = (hi - lo) // workers + 1
        ranges = [SeqRange(start, min(start + step - 1, hi)) for start in range(lo, hi + 1, step)]
        connections.close_all()  # each worker opens its own connection
        with multiprocessing.get_context("fork").Pool(len(ranges)) as pool:
            segments = pool.map(_scan_range, ranges)
    return combine(segments, head=head, stray_entry_id=stray_entry_id(bounds, segments))


class Bounds(NamedTuple):
    first_seq: int | None  # None: the ledger is empty
    last_seq: int | None
    appearances: int | None  # customer appearance rows (SQLite); None where none are kept


def _bounds():
    """The ledger's ``Bounds``, in one query (one moment)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_SEQ_BOUNDS}, ({appearance_count_sql()})")  # noqa: S608
        return Bounds(*cursor.fetchone())


def stray_entry_id(bounds, segments):
    """An entry id that customer appearance rows name but the ledger lacks, or None.

    The scan checked each entry's own appearances against its ids and counted the
    customers they name: when the table held exactly that many rows, none names a
    missing entry, and the table is not read again (a full pass over it, 10 million rows
    at a million entries, was a fifth of the verification). Otherwise (such a row, or
    entries written or purged meanwhile) the table is searched."""
    if bounds.appearances is None or bounds.appearances == sum(s.named for s in segments):
        return None
    with connection.cursor() as cursor:
        cursor.execute(stray_index_sql())
        return cursor.fetchone()[0]


class Command(BaseCommand):
    help = "Verify the audit ledger's hash chain (exit 1 names the first bad entry)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--workers",
            type=int,
            default=min(os.cpu_count() or 1, 4),
            help="processes to check with (default: the CPU count, at most 4)",
        )
        parser.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            metavar="FILE",
            help="signed checkpoints (audit_checkpoint) the ledger must still reach",
        )
        parser.add_argument(
            "--public-key",
            help="the checkpoints' public key (default: from AUDIT_SIGNING_KEY)",
        )
        parser.add_argument(
            "--no-record",
            action="store_true",
            help="do not append the verdict to the ledger (checking a copy kept as evidence)",
        )

    def handle(self, **options):
        started = time.perf_counter()
        verdict = verify_ledger(workers=options["workers"])
        elapsed = time.perf_counter() - started
        if not verdict.intact:
            self.stderr.write(f"audit ledger NOT intact: {verdict.message}")
            self.record(verdict, options)
            raise SystemExit(1)
        if options["checkpoint"]:
            self.check_checkpoints(verdict, options)
        self.record(verdict, options)
        self.stdout.write(f"audit ledger intact: {verdict.count} entries")
        self.stdout.write(f"head {verdict.head_seq} {verdict.head or '-'}")
        if options["verbosity"] > 1 and elapsed:
            rate = verdict.count / elapsed
            self.stdout.write(f"checked in {elapsed:.2f} s ({rate:,.0f} entries per second)")

    def record(self, verdict, options):
        """Append the verdict, unless told not to or the head itself was tampered with
        (then the next number is taken and the entry cannot be written: said, not fatal)."""
        if options["no_record"]:
            return
        try:
            with transaction.atomic():
                record_verdict(verdict)
        except IntegrityError:
            self.stderr.write("the verdict could not be recorded: the ledger's head is wrong")

    def check_checkpoints(self, verdict, options):
        """Exit 1 naming the first checkpoint the verified ledger does not hold."""
        try:
            public_key = _public_key(options["public_key"])
            found = checkpoints.read(options["checkpoint"])
        except checkpoints.CheckpointError as error:
            raise CommandError(str(error)) from None
        seqs = {signed.seq for _place, signed in found}
        chains = dict(AuditEntry.objects.filter(seq__in=seqs).values_list("seq", "chain"))
        for place, signed in found:
            problem = checkpoints.problem_with(signed, public_key, verdict, chains.get(signed.seq))
            if problem:
                self.stderr.write(
                    f"audit ledger NOT intact: checkpoint {place} (entry {signed.seq}) "
                    f"fails: {problem}"
                )
                raise SystemExit(1)
        latest = max(seqs)
        self.stdout.write(f"checkpoints: {len(found)} reached and extended (latest entry {latest})")


def record_verdict(verdict):
    """Append the verdict to the ledger (read by the home page's checklist); the entry
    comes after the head it checked, so a later run checks it too."""
    record(
        Action.AUDIT_VERIFIED,
        outcome=Outcome.OK if verdict.intact else Outcome.REFUSED,
        target=("audit.auditentry", verdict.head_seq or 0),
        detail={
            "intact": verdict.intact,
            "entries": verdict.count,
            "head_seq": verdict.head_seq,
            "bad_seq": verdict.bad_seq,
        },
    )


def _public_key(text):
    if text:
        return checkpoints.parse_public_key(text)
    try:
        return checkpoints.signing_key().public_key()
    except checkpoints.CheckpointError:
        raise checkpoints.CheckpointError(
            "Give the checkpoints' --public-key, or set AUDIT_SIGNING_KEY."
        ) from None
