"""Benchmark: a carrier's label file against reading the same customers decrypted.

Where it runs: the throwaway database of ``bench`` (devtools/bench.py), filled with fake
customers and one shipment each to the address on file; the configured database is never
read or written.

What runs: the real file writer, ``shipping.services.write_rows`` (ヤマト B2クラウド, the
widest layout), into a temporary file, under a bulk read; compared with reading the same
customers' name, postal code, address and phone decrypted through the reading path and
writing nothing. ``ratio labels_vs_read`` is the file's time over the read's (target
<= 2). Memory: Python's peak allocation while writing (tracemalloc), at N and at 2N
shipments; a streamed file's peak stays flat.
"""

import os
import statistics
import tempfile
import time
import tracemalloc
from typing import NamedTuple

from django.contrib.auth.models import User
from django.db import connections, transaction
from django.utils import timezone

from customers import reading
from customers.models import Category, Customer, Purchase
from devtools.bench import BENCH_DB, create_tables, throwaway_database
from devtools.export_bench import fill
from policy.models import Outsourcee
from shipping.carriers import YAMATO_B2
from shipping.models import LabelFile, LabelRoutine, Shipment
from shipping.services import write_rows
from vault.reads import bulk_read

LABEL_FIELDS = ["name", "postal_code", "address", "phone"]
# The read and the file each run this many times, alternated read, file, read, file...
RUNS = 15


def routine():
    """An unsaved routine: the writer reads only its sender and descriptions."""
    return LabelRoutine(
        carrier=YAMATO_B2.code,
        descriptions={},
        sender_name="見本商店",
        sender_postal_code="100-0001",
        sender_address="東京都千代田区千代田1-1",
        sender_phone="03-1234-5678",
    )


def label_file():
    """The file the shipments are on, as ``make_label_file`` leaves them (its routine
    and maker saved in the throwaway database)."""
    maker = User.objects.using(BENCH_DB).create(username="bench")
    made = routine()
    made.approved_by = maker
    made.save(using=BENCH_DB)
    return LabelFile.objects.using(BENCH_DB).create(
        routine=made, carrier=made.carrier, made_by=maker, shipment_count=0
    )


def add_shipments(start, stop, on_file):
    """One shipment to the address on file for each customer in [start, stop), each
    with one purchase (a label's 品名 comes from its purchases' categories)."""
    customers = Customer.objects.using(BENCH_DB).order_by("created_at", "id")[start:stop]
    category = Category.objects.using(BENCH_DB).order_by("pk").first()
    today = timezone.localdate()
    pairs = []
    for pk in customers.values_list("pk", flat=True):
        shipment = Shipment(customer_id=pk, state=Shipment.State.LABELLED, label_file=on_file)
        purchase = Purchase(customer_id=pk, category=category, amount=1000, purchased_on=today)
        pairs.append((shipment, purchase))
    with transaction.atomic(using=BENCH_DB):
        Shipment.objects.using(BENCH_DB).bulk_create(s for s, _p in pairs)
        Purchase.objects.using(BENCH_DB).bulk_create(p for _s, p in pairs)
        Shipment.purchases.through.objects.using(BENCH_DB).bulk_create(
            Shipment.purchases.through(shipment_id=s.pk, purchase_id=p.pk) for s, p in pairs
        )


def customer_ids():
    queryset = Shipment.objects.using(BENCH_DB).order_by("created_at", "id")
    return [str(pk) for pk in queryset.values_list("customer_id", flat=True)]


class Timed(NamedTuple):
    wall: float  # seconds on the clock
    cpu: float  # seconds of this process's CPU time


def timed(work):
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return Timed(time.perf_counter() - wall, time.process_time() - cpu)


def time_read(ids):
    def read():
        rows = reading.export_rows(LABEL_FIELDS, carried=[], using=BENCH_DB, customer_ids=ids)
        for _pk, _values in rows:
            pass

    return timed(read)


def time_file(on_file, sink):
    sink.seek(0)
    sink.truncate()

    def write():
        day = timezone.localdate()
        chosen = Shipment.objects.using(BENCH_DB).filter(label_file=on_file)
        for chunk in write_rows(YAMATO_B2, on_file.routine, chosen, day):
            sink.write(chunk)

    return timed(write)


def pairs_of_runs(customers, on_file, sink):
    """RUNS reads and RUNS files, alternated run by run (after one untimed run of each),
    so that the load of a shared machine hits both sides alike: [(read, file), ...]."""
    time_read(customers), time_file(on_file, sink)
    return [(time_read(customers), time_file(on_file, sink)) for _ in range(RUNS)]


def ratios(pairs):
    """(the median of the pairs' wall-clock ratios, the median of their CPU-time ratios):
    each pair ran back to back, so a busy moment slows both of its sides."""
    return (
        statistics.median(made.wall / read.wall for read, made in pairs),
        statistics.median(made.cpu / read.cpu for read, made in pairs if read.cpu),
    )


def peak_while_writing(on_file, sink):
    tracemalloc.start()
    try:
        time_file(on_file, sink)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run(count, out=print):
    """Label files of ``count`` and ``2 * count`` shipments; print the figures."""
    peaks = {}
    ratio = cpu_ratio = None
    with throwaway_database(sqlite_only=True) as path, bulk_read("bench"):
        out(f"Throwaway database: {path} (deleted afterwards; the configured one is untouched)")
        create_tables()
        with connections[BENCH_DB].schema_editor() as editor:
            for model in (User, Outsourcee, LabelRoutine, LabelFile, Shipment):
                editor.create_model(model)
        on_file = label_file()
        filled = 0
        for size in (count, 2 * count):
            fill(filled, size)
            add_shipments(filled, size, on_file)
            filled = size
            customers = customer_ids()
            with tempfile.TemporaryFile() as sink:
                pairs = pairs_of_runs(customers, on_file, sink)
                peaks[size] = peak_while_writing(on_file, sink)
            read = statistics.median(r.wall for r, _f in pairs)
            made = statistics.median(f.wall for _r, f in pairs)
            out(
                f"{size} shipments: read {read * 1000:.1f} ms, label file {made * 1000:.1f} ms"
                f" (medians of {RUNS})"
            )
            if size == count:
                ratio, cpu_ratio = ratios(pairs)
    out(f"ratio labels_vs_read {ratio:.2f}")
    out(f"ratio labels_vs_read_cpu {cpu_ratio:.2f}")
    out("load_average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    for size, peak in peaks.items():
        out(f"memory labels_peak_{size} {peak / 1024:.0f} KiB")
    growth = peaks[2 * count] / peaks[count] if peaks[count] else 0
    out(f"ratio labels_memory_2n_vs_n {growth:.2f}")
    return {"ratio": ratio, "cpu_ratio": cpu_ratio, "peaks": peaks}
