"""Benchmark: peak memory of the customer export (DESIGN: 100,000 customers, <= 200 MB).

Where it runs: the throwaway SQLite database of ``bench`` (devtools/bench.py: a fresh
temporary file registered as BENCH_DB for this run only, deleted afterwards), filled with
fake customers only (no purchases, no plaintext twin: the export reads neither). The
configured database is never read or written.

What runs: the real writer, ``exports.archive.write_archive``, with every exportable
field, reading the throwaway database into an AES-256 zip in a temporary file (as the
download view writes to a temporary file).

How memory is measured: each export runs in a fresh child process (multiprocessing,
spawn), so nothing the parent built (the rows it sealed, its caches) is counted. The child
loads Django and opens the database, then resets the kernel's resident high-water mark
(``5`` into /proc/self/clear_refs) and notes its resident size; after the export, VmHWM is
the largest resident size the process reached while writing. Reported: that peak, its
growth over the size before the export, and, from a second export in the same child under
``tracemalloc``, the peak of Python's own allocations. Where clear_refs cannot be written,
the peak is ``ru_maxrss``, the process's peak since it started (an upper bound).

Speed: in the same child, before the export, every customer is read with the same fields
decrypted through the same reading path and nothing written (the bulk decrypted read);
``ratio export_vs_read`` is the export's rows per second over that read's.

Streaming shows as flat memory: the same figures are measured at N and at 2N customers
in one run; if the export held its rows, the growth at 2N would be about twice as large.
"""

import csv
import io
import multiprocessing
import os
import random
import resource
import shutil
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor

import django
import pyzipper
from django.conf import settings
from django.db import connections, transaction
from django.db.utils import ConnectionHandler, load_backend
from django.test.utils import override_settings

from customers import reading
from customers.models import Customer
from devtools.bench import BENCH_DB, create_tables, throwaway_database
from devtools.demo import BATCH_SIZE, fake_customer_values, sealed_customer
from exports.archive import CELL_FORMS, new_archive_password, write_archive
from exports.archive import headers as archive_headers
from exports.services import EXPORTABLE_FIELDS
from vault.reads import bulk_read

MB = 1024 * 1024
# DESIGN.md's target for exporting 100,000 customers.
TARGET_MB = 200
# Rows compared field by field with the database after each export (every row is counted).
SAMPLE_ROWS = 20


def fill(start, stop, seed=2026):
    """Write fake customers number ``start`` to ``stop - 1`` to the throwaway database."""
    rng = random.Random(seed + start)  # noqa: S311 - demo data, not secrets
    for offset in range(start, stop, BATCH_SIZE):
        numbers = range(offset, min(offset + BATCH_SIZE, stop))
        batch = [sealed_customer(fake_customer_values(number, rng)) for number in numbers]
        with transaction.atomic(using=BENCH_DB):
            Customer.objects.using(BENCH_DB).bulk_create(batch)


def run(count, out=print, keep_archive=None):
    """Export ``count`` and ``2 * count`` fake customers, each in a fresh process; print figures.

    With ``keep_archive`` (a path), the ``count``-customer archive is copied there and
    its password printed, so that anyone can open it and see a real export.
    """
    results = []
    # The throwaway database's rows write no ledger entries (audit.changes records the
    # configured database only). The archives are checked against every fake customer:
    # a declared bulk read.
    with throwaway_database(sqlite_only=True) as path, bulk_read("bench"):
        out(f"Throwaway database: {path} (deleted afterwards; the configured one is untouched)")
        create_tables()
        filled = 0
        for size in (count, 2 * count):
            started = time.perf_counter()
            fill(filled, size)
            filled = size
            out(f"Wrote customers up to {size} in {time.perf_counter() - started:.1f} s")
            result = export_in_child(path, size)
            check_archive(result["archive"], result["password"], size, out)
            if keep_archive and size == count:
                shutil.copyfile(result["archive"], keep_archive)
                out(f"Kept the {size}-customer archive: {keep_archive}")
                out(f"Its password (fake customers only): {result['password']}")
            report(result, out)
            results.append(result)
    summarise(results, out)
    return results


def export_in_child(db_path, size):
    """Run the export in a fresh spawned process and return its measurements."""
    job = {
        # The child reads the same environment, but a test may have overridden the keys.
        "keys": settings.FIELD_ENCRYPTION_KEYS,
        "db_path": db_path,
        "archive": os.path.join(os.path.dirname(db_path), f"export-{size}.zip"),
        "password": new_archive_password(),
        "fields": EXPORTABLE_FIELDS,
    }
    # The child sets Django up before it unpickles the job, which imports this module
    # (and the models); it finds the settings module in the environment it inherits.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, initializer=django.setup) as pool:
        measured = pool.submit(measure_export, job).result()
    if measured["configured_opened"]:
        raise RuntimeError("the export child opened the configured database")
    return {**job, **measured, "size": size}


# --- in the child process ------------------------------------------------------------


def measure_export(job):
    """Child process: export twice, measuring resident memory, then under tracemalloc."""
    override_settings(FIELD_ENCRYPTION_KEYS=job["keys"]).enable()
    attach_database(job["db_path"])
    connections[BENCH_DB].ensure_connection()
    read_seconds = measure_bulk_read(job)
    measured = export_watching_rss(job, job["archive"])
    measured["read_seconds"] = read_seconds
    traced = job["archive"] + ".traced"
    measured["python_peak"] = export_under_tracemalloc(job, traced)
    os.remove(traced)
    measured["archive_bytes"] = os.path.getsize(job["archive"])
    # The child's settings name the configured database too: prove it was never opened.
    measured["configured_opened"] = connections["default"].connection is not None
    return measured


def export_watching_rss(job, path):
    """Write the archive to ``path``; return rows, seconds, resident size before and peak."""
    reset = reset_peak_rss()
    before = resident_bytes("VmRSS")
    started = time.perf_counter()
    with open(path, "wb") as archive:
        rows = write_archive(archive, job["fields"], job["password"], using=BENCH_DB)
    seconds = time.perf_counter() - started
    if reset:
        peak, source = resident_bytes("VmHWM"), "VmHWM"
    else:  # peak since the process started: an upper bound
        peak, source = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "ru_maxrss"
    return {
        "rows": rows,
        "seconds": seconds,
        "rss_before": before,
        "rss_peak": peak,
        "peak_source": source,
    }


def measure_bulk_read(job):
    """Seconds to read every customer with the export's fields decrypted, and nothing
    else: the reading path's own cost, which the archive writer is compared with."""
    started = time.perf_counter()
    with bulk_read("bench"):
        rows = reading.export_rows(job["fields"], carried=[], using=BENCH_DB)
        for _pk, _values in rows:
            pass
    return time.perf_counter() - started


def export_under_tracemalloc(job, path):
    """Write the archive to ``path`` again, tracing; return Python's peak allocation."""
    tracemalloc.start()
    try:
        with open(path, "wb") as archive:
            write_archive(archive, job["fields"], job["password"], using=BENCH_DB)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def attach_database(path):
    """Register BENCH_DB, in this process, as a connection to the SQLite file at ``path``."""
    config = {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    config = ConnectionHandler({"default": config}).settings["default"]  # adds the defaults
    connections[BENCH_DB] = load_backend(config["ENGINE"]).DatabaseWrapper(config, BENCH_DB)


def reset_peak_rss():
    """Reset this process's VmHWM to its current resident size; False where impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def resident_bytes(name):
    """VmRSS or VmHWM of this process from /proc/self/status, in bytes (0 if unknown)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(name + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# --- back in the parent --------------------------------------------------------------


def read_archive_rows(path, password):
    """The CSV rows of an export archive (header first), decrypted with ``password``."""
    with pyzipper.AESZipFile(path) as archive:
        archive.setpassword(password.encode())
        with archive.open("customers.csv") as member:
            yield from csv.reader(io.TextIOWrapper(member, encoding="utf-8-sig", newline=""))


def check_archive(path, password, size, out):
    """Prove the archive is a real export: it decrypts and holds every customer once.

    A few rows are compared field by field with the database's decrypted values.
    """
    rows = read_archive_rows(path, password)
    header = next(rows)
    if header != archive_headers(EXPORTABLE_FIELDS)[0]:
        raise AssertionError(f"unexpected archive header {header}")
    # Rows are numbered 1, 2, ... in the customers' order (oldest first), never by id.
    seen, samples = set(), []
    for row in rows:
        seen.add(row[0])
        if len(samples) < SAMPLE_ROWS:
            samples.append(row)
    if seen != {str(n) for n in range(1, size + 1)}:
        raise AssertionError(f"the archive holds {len(seen)} customers, expected {size}")
    oldest = Customer.objects.using(BENCH_DB).order_by("created_at", "id")[: len(samples)]
    for row, customer in zip(samples, oldest, strict=True):
        expected = [
            CELL_FORMS.get(field, str)(getattr(customer, field)) for field in EXPORTABLE_FIELDS
        ]
        if row[1:] != expected:
            raise AssertionError(f"archive row {row[0]} differs from the database")
    out(
        f"Archive check ({size}): decrypts with its password, holds each of the {size} "
        f"customers once, {len(samples)} rows match the database field by field"
    )


def report(result, out):
    rate = result["rows"] / result["seconds"]
    before, peak = result["rss_before"] / MB, result["rss_peak"] / MB
    out(
        f"Export of {result['size']} customers ({len(result['fields'])} fields): "
        f"{result['seconds']:.1f} s, {rate:.0f} rows/s, "
        f"archive {result['archive_bytes'] / MB:.1f} MB; resident {before:.1f} MB before, "
        f"peak {peak:.1f} MB ({result['peak_source']}); "
        f"Python peak {result['python_peak'] / MB:.1f} MB"
    )


def summarise(results, out):
    """One ``memory <name> <value>`` line per figure; ``_2x`` for the 2N run."""
    for result, suffix in zip(results, ("", "_2x"), strict=True):
        peak, before = result["rss_peak"], result["rss_before"]
        out(f"memory export_peak_mb{suffix} {peak / MB:.1f}")
        out(f"memory export_growth_mb{suffix} {(peak - before) / MB:.1f}")
        out(f"memory export_python_peak_mb{suffix} {result['python_peak'] / MB:.1f}")
    for result, suffix in zip(results, ("", "_2x"), strict=True):
        export_rate = result["rows"] / result["seconds"]
        read_rate = result["rows"] / result["read_seconds"]
        out(f"speed export_rows_per_s{suffix} {export_rate:.0f}")
        out(f"speed read_rows_per_s{suffix} {read_rate:.0f}")
        out(f"ratio export_vs_read{suffix} {export_rate / read_rate:.2f}")
        out(f"size export_archive_mb{suffix} {result['archive_bytes'] / MB:.1f}")
    out(f"Target: peak <= {TARGET_MB} MB for 100,000 customers (DESIGN.md).")
    out("Target: ratio export_vs_read >= 0.5 (the archive writer costs no more than reading).")
