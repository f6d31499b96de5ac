"""Print how importing a Shopify customer CSV compares with seed_demo's fast path.

``bench_import [--customers N]`` (default 50,000) times, inside transactions it rolls
back (the database is left as it was): writing N fake customers with seed_demo's bulk
path, importing a generated Shopify customer export of N rows, and reading the header
and five masked rows of that file for the mapping page (issue #24). Peak Python memory
of the import is measured at N/10 and N/2 rows: flat means about equal. Prints
``ratio import_vs_seed <x>`` (target ≤ 3), ``ratio import_memory_half_vs_tenth <x>``
and ``seconds mapping_preview <s>`` (target < 1).
"""

import io
import time
import tracemalloc

from django.core.management.base import BaseCommand
from django.db import transaction

from customers.importing import import_customers, sample
from devtools.demo import seed_customers

HEADER = (
    "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,"
    "Default Address Address1,Default Address Address2,Default Address City,"
    "Default Address Province Code,Default Address Country Code,Default Address Zip,"
    "Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,"
    "Tax Exempt,Tags"
)


def shopify_file(rows):
    """A Shopify customer export of ``rows`` clearly fake customers (例 names)."""
    lines = [HEADER]
    for i in range(rows):
        lines.append(
            f"{6500000000000 + i},花子{i},例{i},bench{i}@example.com,yes,,例町{i % 100}-1,,"
            f"例市,JP-13,JP,'000-{i % 10000:04d},,'090-{i // 10000:04d}-{i % 10000:04d},no,"
            "0.00,0,,no,"
        )
    return ("\r\n".join(lines) + "\r\n").encode()


class Rollback(Exception):
    pass


def timed(work):
    started = time.perf_counter()
    try:
        with transaction.atomic():
            work()
            raise Rollback
    except Rollback:
        pass
    return time.perf_counter() - started


def peak_memory(work):
    tracemalloc.start()
    try:
        timed(work)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class Command(BaseCommand):
    help = "Compare importing a Shopify customer CSV with seed_demo's fast path (ratios)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=50_000)

    def handle(self, *args, customers, **options):
        data = shopify_file(customers)
        seed = timed(lambda: seed_customers(customers, start=10_000_000))
        imported = timed(lambda: import_customers(io.BytesIO(data), "shopify"))
        started = time.perf_counter()
        sample(io.BytesIO(data))
        preview = time.perf_counter() - started
        tenth, half = shopify_file(customers // 10), shopify_file(customers // 2)
        small = peak_memory(lambda: import_customers(io.BytesIO(tenth), "shopify"))
        large = peak_memory(lambda: import_customers(io.BytesIO(half), "shopify"))
        self.stdout.write(f"seconds seed_demo_{customers} {seed:.1f}")
        self.stdout.write(f"seconds import_{customers} {imported:.1f}")
        self.stdout.write(f"ratio import_vs_seed {imported / seed:.2f}")
        self.stdout.write(f"seconds mapping_preview {preview:.3f}")
        self.stdout.write(f"bytes import_peak_tenth {small} half {large}")
        self.stdout.write(f"ratio import_memory_half_vs_tenth {large / small:.2f}")
