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

import tempfile
import time
import tracemalloc

from django.db import transaction
from django.utils import timezone

from customers import reading
from customers.models import Customer
from devtools.bench import BENCH_DB, create_tables, throwaway_database
from devtools.export_bench import fill
from shipping.carriers import YAMATO_B2
from shipping.models import LabelFile, LabelRoutine, Shipment
from shipping.services import write_rows
from vault.reads import bulk_read

LABEL_FIELDS = ["name", "postal_code", "address", "phone"]
# The read and the file each run this many times, alternated; the best run counts.
RUNS = 9


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


def add_shipments(start, stop):
    customers = Customer.objects.using(BENCH_DB).order_by("created_at", "id")[start:stop]
    batch = [Shipment(customer_id=pk) for pk in customers.values_list("pk", flat=True)]
    with transaction.atomic(using=BENCH_DB):
        Shipment.objects.using(BENCH_DB).bulk_create(batch)


def shipment_ids():
    queryset = Shipment.objects.using(BENCH_DB).order_by("created_at", "id")
    return [str(pk) for pk in queryset.values_list("pk", flat=True)]


def customer_ids():
    queryset = Shipment.objects.using(BENCH_DB).order_by("created_at", "id")
    return [str(pk) for pk in queryset.values_list("customer_id", flat=True)]


def time_read(ids):
    started = time.perf_counter()
    rows = reading.export_rows(LABEL_FIELDS, carried=[], using=BENCH_DB, customer_ids=ids)
    for _pk, _values in rows:
        pass
    return time.perf_counter() - started


def time_file(ids, sink):
    sink.seek(0)
    sink.truncate()
    started = time.perf_counter()
    for chunk in write_rows(YAMATO_B2, routine(), ids, timezone.localdate(), using=BENCH_DB):
        sink.write(chunk)
    return time.perf_counter() - started


def best_of_both(customers, ships, sink):
    """The best read and the best file of RUNS each, alternated run by run (after one
    untimed run of each), so that the load of a shared machine hits both sides alike."""
    time_read(customers), time_file(ships, sink)
    reads, files = [], []
    for _ in range(RUNS):
        reads.append(time_read(customers))
        files.append(time_file(ships, sink))
    return min(reads), min(files)


def peak_while_writing(ids, sink):
    tracemalloc.start()
    try:
        time_file(ids, sink)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run(count, out=print):
    """Label files of ``count`` and ``2 * count`` shipments; print the figures."""
    peaks = {}
    ratio = None
    with throwaway_database(sqlite_only=True) as path, bulk_read("bench"):
        out(f"Throwaway database: {path} (deleted afterwards; the configured one is untouched)")
        create_tables()
        with connections_schema() as editor:
            for model in (LabelRoutine, LabelFile, Shipment):
                editor.create_model(model)
        filled = 0
        for size in (count, 2 * count):
            fill(filled, size)
            add_shipments(filled, size)
            filled = size
            ships, customers = shipment_ids(), customer_ids()
            with tempfile.TemporaryFile() as sink:
                read, made = best_of_both(customers, ships, sink)
                peaks[size] = peak_while_writing(ships, sink)
            out(f"{size} shipments: read {read * 1000:.1f} ms, label file {made * 1000:.1f} ms")
            if size == count:
                ratio = made / read
    out(f"ratio labels_vs_read {ratio:.2f}")
    for size, peak in peaks.items():
        out(f"memory labels_peak_{size} {peak / 1024:.0f} KiB")
    growth = peaks[2 * count] / peaks[count] if peaks[count] else 0
    out(f"ratio labels_memory_2n_vs_n {growth:.2f}")
    return {"ratio": ratio, "peaks": peaks}


def connections_schema():
    from django.db import connections

    return connections[BENCH_DB].schema_editor()
