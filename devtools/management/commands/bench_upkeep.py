"""Measure backup against the database's own dump, and retention's batches.

Run it on a throwaway database (it refuses one that holds real customers, and leaves
what it made), e.g.::

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python manage.py bench_upkeep \\
        --customers 100000 --entries 1000000

Prints, one per line:

* per round (``--rounds``, default 3; the two sides alternate, native dump first), the
  wall and CPU seconds of each side (CPU counts the backup's child process too, and the
  load does not inflate it) and the 1-minute load average before and after;
* ``ratio backup_vs_native_dump <value>``: the median over the rounds of ``backup``'s
  time divided by the database's own dump of the same data (``sqlite3 .backup``, or
  ``pg_dump -Fc``); target at most 2; then each round's ratio;
* ``backup_memory_growth_mb <value>``: how much this process's peak memory grew during the
  backups (flat: a few MB whatever the size), and ``backup_child_peak_mb``, the largest
  peak of a child process (the backup's encryption, or ``sqlite3``/``pg_dump``);
* ``retention_total_seconds``, ``retention_batches``, ``retention_median_batch_seconds``,
  ``retention_p99_batch_seconds`` and ``retention_max_batch_seconds`` for
  ``apply_retention`` with 30 % of the customers due: a batch's time is how long its
  transaction held the write lock (target: every batch under 1 s, the longest any writer
  waits on SQLite's write lock);
* ``load_average`` over 1, 5 and 15 minutes, since the machine may be shared.

``--customers 0 --entries 0`` measures a database filled by an earlier run as it is.
"""

import os
import resource
import shutil
import statistics
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
        parser.add_argument("--rounds", type=int, default=3)

    def handle(self, **options):
        if identity.holds_real_customers():
            raise CommandError("bench_upkeep runs on a throwaway database, not this one.")
        if not settings.BACKUP_RECIPIENT:
            from pyrage import x25519

            settings.BACKUP_RECIPIENT = str(x25519.Identity.generate().to_public())
        self.fill(options["customers"], options["entries"])
        with tempfile.TemporaryDirectory(prefix="bench-upkeep-") as work:
            self.measure_backup(Path(work), max(1, options["rounds"]))
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

    def measure_backup(self, work, rounds):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        ratios = []
        for number in range(1, rounds + 1):
            load = os.getloadavg()[0]
            native, native_cpu = timed(lambda: time_native_dump(work / "native.dump"))
            (work / "native.dump").unlink()
            ours, ours_cpu = timed(lambda: make_backup(work / "bench.tar.age"))
            size = (work / "bench.tar.age").stat().st_size
            (work / "bench.tar.age").unlink()
            ratios.append(ours / native)
            self.stdout.write(
                f"round {number}: dump {native:.2f} s (cpu {native_cpu:.2f}), backup "
                f"{ours:.2f} s (cpu {ours_cpu:.2f}, {size / 1e6:.0f} MB), ratio "
                f"{ours / native:.2f}, load {load:.2f} -> {os.getloadavg()[0]:.2f}"
            )
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        self.stdout.write(f"ratio backup_vs_native_dump {statistics.median(ratios):.2f}")
        self.stdout.write("backup ratios by round " + " ".join(f"{r:.2f}" for r in ratios))
        self.stdout.write(f"backup_memory_growth_mb {grown:.1f}")
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        self.stdout.write(f"backup_child_peak_mb {children:.1f}")

    def measure_retention(self):
        due = make_due(DUE_SHARE)
        self.stdout.write(f"{due} customers made due for retention")
        load = os.getloadavg()[0]
        batches = []
        started = time.perf_counter()
        retention.apply(on_batch=lambda category, seconds: batches.append(seconds))
        total = time.perf_counter() - started
        ordered = sorted(batches) or [0.0]
        self.stdout.write(f"retention_total_seconds {total:.1f}")
        self.stdout.write(f"retention_batches {len(batches)}")
        self.stdout.write(f"retention_median_batch_seconds {statistics.median(ordered):.3f}")
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        self.stdout.write(f"retention_p99_batch_seconds {p99:.3f}")
        self.stdout.write(f"retention_max_batch_seconds {ordered[-1]:.3f}")
        self.stdout.write(f"retention load {load:.2f} -> {os.getloadavg()[0]:.2f}")


def timed(work):
    """Wall and CPU seconds (this process and its children) of ``work()``."""
    before, started = os.times(), time.perf_counter()
    work()
    wall, after = time.perf_counter() - started, os.times()
    cpu = sum(after[i] - before[i] for i in range(4))  # user, system, children's both
    return wall, cpu


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
