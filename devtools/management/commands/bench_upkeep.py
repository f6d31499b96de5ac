"""Measure backup against the database's own dump, and retention's batches.

Run it on a throwaway database (it refuses one that holds real customers, and leaves
what it made), e.g.::

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python manage.py bench_upkeep \\
        --customers 100000 --entries 1000000

Prints, one per line:

* ``ratio backup_vs_native_dump <value>``: ``backup``'s time divided by the database's
  own dump of the same data (``sqlite3 .backup``, or ``pg_dump -Fc``); target at most 2;
* ``backup_memory_growth_mb <value>``: how much this process's peak memory grew during the
  backup (flat: a few MB whatever the size);
* ``retention_total_seconds``, ``retention_batches`` and ``retention_max_batch_seconds``
  for ``apply_retention`` with 30 % of the customers due (target: every batch under 1 s,
  the longest any writer waits on SQLite's write lock);
* ``load_average`` over 1, 5 and 15 minutes, since the machine may be shared.
"""

import os
import resource
import shutil
import subprocess
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from customers.models import Customer, Purchase
from devtools.demo import seed_customers
from upkeep import identity, retention
from upkeep.backups import make_backup, run_pg_tool, sqlite_backup

DUE_SHARE = 0.3  # the 30,000 of 100,000


class Command(BaseCommand):
    help = "Measure backup vs the database's own dump, and apply_retention's batches."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=10_000)
        parser.add_argument("--entries", type=int, default=100_000)

    def handle(self, **options):
        if identity.holds_real_customers():
            raise CommandError("bench_upkeep runs on a throwaway database, not this one.")
        if not settings.BACKUP_RECIPIENT:
            from pyrage import x25519

            settings.BACKUP_RECIPIENT = str(x25519.Identity.generate().to_public())
        self.fill(options["customers"], options["entries"])
        with tempfile.TemporaryDirectory(prefix="bench-upkeep-") as work:
            self.measure_backup(Path(work))
        self.measure_retention()
        self.stdout.write("load_average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

    def fill(self, customers, entries):
        started = time.perf_counter()
        identity.mark("demo")
        made, purchases = seed_customers(customers, start=Customer.objects.count())
        self.stdout.write(f"seeded {made} customers, {purchases} purchases")
        self.write_ledger(entries)
        self.stdout.write(f"filled in {time.perf_counter() - started:.0f} s")

    def write_ledger(self, count):
        synthetic_ledger(count)

    def measure_backup(self, work):
        native = time_native_dump(work / "native.dump")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        made = make_backup(work / "bench.tar.age")
        ours = time.perf_counter() - started
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        self.stdout.write(f"backup {made.size / 1e6:.0f} MB in {ours:.1f} s, dump {native:.1f} s")
        self.stdout.write(f"ratio backup_vs_native_dump {ours / native:.2f}")
        self.stdout.write(f"backup_memory_growth_mb {grown:.1f}")

    def measure_retention(self):
        due = make_due(DUE_SHARE)
        self.stdout.write(f"{due} customers made due for retention")
        batches = []
        started = time.perf_counter()
        retention.apply(on_batch=lambda category, seconds: batches.append(seconds))
        total = time.perf_counter() - started
        self.stdout.write(f"retention_total_seconds {total:.1f}")
        self.stdout.write(f"retention_batches {len(batches)}")
        self.stdout.write(f"retention_max_batch_seconds {max(batches, default=0):.3f}")


def write_batch(entries):
    """The entries and their customer appearances, as ``record`` would write them."""
    from django.db import connection

    from audit import appearances
    from audit.chain import canonical_json
    from audit.models import AuditEntry

    AuditEntry.objects.bulk_create(entries)
    with connection.cursor() as cursor:
        appearances.write_many(
            cursor, [(entry.pk, canonical_json(entry.customer_ids)) for entry in entries]
        )


def synthetic_ledger(count):
    """``count`` chained entries, committed (bench_audit grows its own throwaway ledgers
    since issue #26, so this writer is bench_upkeep's own)."""
    from audit.chain import Head, chain_value
    from audit.ledger import HEAD_PK, current_head
    from audit.models import AuditEntry, AuditHead

    head = current_head() or Head(0, "")
    seq, prev = head.seq, head.chain
    now = timezone.now()
    batch = []
    for _ in range(count):
        seq += 1
        entry = AuditEntry(
            seq=seq,
            created_at=now,
            action="customer.view",
            actor_username="bench",
            actor_role="staff",
            ip="192.0.2.10",
            request_id=str(uuid.uuid4()),
            target_type="customers.customer",
            target_id=str(seq),
            customer_ids=[],
            detail={"fields": ["phone"], "reason": "delivery"},
            prev_chain=prev,
        )
        entry.chain = prev = chain_value(settings.AUDIT_CHAIN_KEY, entry)
        batch.append(entry)
        if len(batch) == 5000:
            write_batch(batch)
            batch = []
    write_batch(batch)
    if head.seq == 0:
        AuditHead.objects.update_or_create(pk=HEAD_PK, defaults={"seq": seq, "chain": prev})
    else:
        AuditHead.objects.filter(pk=HEAD_PK).update(seq=seq, chain=prev)


def time_native_dump(target):
    """Seconds the database's own tool takes to dump it."""
    started = time.perf_counter()
    if connection.vendor == "sqlite":
        source = connection.settings_dict["NAME"]
        if shutil.which("sqlite3"):
            subprocess.run(["sqlite3", source, f".backup {target}"], check=True)  # noqa: S603,S607
        else:
            sqlite_backup(source, target)
    else:
        run_pg_tool(["pg_dump", "--format=custom", "--no-owner", f"--file={target}"])
    return time.perf_counter() - started


def make_due(share):
    """Move ``share`` of the customers (and their purchases) six years back."""
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    due = ids[: int(len(ids) * share)]
    long_ago = timezone.now() - timedelta(days=6 * 366)
    for start in range(0, len(due), 5_000):
        chunk = due[start : start + 5_000]
        Customer.objects.filter(pk__in=chunk).update(created_at=long_ago)
        Purchase.objects.filter(customer_id__in=chunk).update(purchased_on=long_ago.date())
    return len(due)
