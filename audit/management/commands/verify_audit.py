"""Check the whole audit ledger against its hash chain.

Exit 0 and print the entry count and head value when every entry is intact; exit 1
naming the first entry that was edited, removed, inserted or moved.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection

from audit.chain import canonical_sql, verify_chain
from audit.ledger import current_head

# Rows fetched per round trip: large enough that the database is not the bottleneck,
# small enough to keep memory flat on a ledger of millions.
CHUNK = 10_000


def ledger_rows():
    """Every entry as (seq, action, detail, prev_chain, chain, canonical content),
    streamed in ``seq`` order."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(canonical_sql(connection.vendor))
        while rows := cursor.fetchmany(CHUNK):
            yield from rows


def verify_ledger():
    """Verify the stored ledger; return the ``Verdict``."""
    return verify_chain(settings.AUDIT_CHAIN_KEY, ledger_rows(), head=current_head())


class Command(BaseCommand):
    help = "Verify the audit ledger's hash chain (exit 1 names the first bad entry)."

    def handle(self, **options):
        started = time.perf_counter()
        verdict = verify_ledger()
        elapsed = time.perf_counter() - started
        if not verdict.intact:
            self.stderr.write(f"audit ledger NOT intact: entry {verdict.bad_seq} {verdict.problem}")
            raise SystemExit(1)
        self.stdout.write(f"audit ledger intact: {verdict.count} entries")
        self.stdout.write(f"head {verdict.head_seq} {verdict.head or '-'}")
        if options["verbosity"] > 1 and elapsed:
            rate = verdict.count / elapsed
            self.stdout.write(f"checked in {elapsed:.2f} s ({rate:,.0f} entries per second)")
