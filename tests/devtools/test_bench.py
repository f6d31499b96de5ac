import os
import re
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connections

from customers.models import Customer
from devtools import bench
from tests.factories import entries_after, ledger_mark
from vault.reads import bulk_read

FIGURES = ["read_all", "search_email", "search_phone", "list_page", "detail_page"]
RATIO_LINE = re.compile(r"^ratio (\w+) (\d+\.\d\d)$")


def run_bench(**options):
    out = StringIO()
    call_command("bench", stdout=out, **options)
    return out.getvalue().splitlines()


def test_it_prints_one_ratio_line_per_figure(db):
    lines = run_bench(customers=10, repeat=1)

    ratios = [RATIO_LINE.match(line) for line in lines if line.startswith("ratio ")]
    assert all(ratios)
    assert [m.group(1) for m in ratios] == FIGURES
    assert all(float(m.group(2)) > 0 for m in ratios)


def test_search_goes_through_the_blind_index(db):
    # Enough rows that an analysed PostgreSQL table is not read whole instead (with ten,
    # a sequential scan of its one page is the planner's right choice).
    lines = run_bench(customers=200, repeat=1)

    plans = [line for line in lines if " plan: " in line]
    assert len(plans) == 2
    # SQLite says "USING INDEX", PostgreSQL "Index Scan" or "Bitmap Index Scan".
    assert all(re.search("USING INDEX|Index Scan", line) for line in plans)
    assert all("candidates: 1" in line for line in plans)


def test_it_leaves_the_configured_database_alone(db):
    mark = ledger_mark()
    lines = run_bench(customers=10, repeat=1)

    assert Customer.objects.count() == 0
    assert not entries_after(mark).exists()
    where = next(line for line in lines if line.startswith("Throwaway database:"))
    if connections["default"].vendor == "postgresql":
        name = where.split()[3]
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            assert cursor.fetchone() is None
    else:
        assert not os.path.exists(where.split()[2])
    assert bench.BENCH_DB not in connections.settings
    assert not hasattr(connections._connections, bench.BENCH_DB)


def test_it_compares_the_list_page_with_a_smaller_shop(db):
    lines = run_bench(customers=30, repeat=1, scale_base=10)

    ratios = dict(m.groups() for m in map(RATIO_LINE.match, lines) if m)
    assert list(ratios) == [*FIGURES, "list_page_30_vs_10"]
    assert float(ratios["list_page_30_vs_10"]) > 0
    assert any(line.startswith("list_page_30_vs_10: encrypted list page") for line in lines)
    assert bench.BENCH_DB not in connections.settings
    assert not hasattr(connections._connections, bench.BENCH_DB)


def test_the_plaintext_twin_is_not_a_model_of_the_app():
    assert bench.PlainCustomer not in apps.get_models()
    assert not apps.is_installed("shopguard_bench")


def test_the_plaintext_twin_has_every_column_of_customer():
    """Both sides load the same values per row: the twin keeps each personal field as a
    column, each blind index as its normalised value (``<kind>_key``), and every other
    column as it is. A column added to Customer without its twin fails here."""
    record = Customer._meta.get_field("sealed")
    expected = set()
    for field in Customer._meta.concrete_fields:
        if field is record:
            expected.update(record.member_attnames)
        elif field.attname.endswith("_index"):
            expected.add(field.attname.removesuffix("_index") + "_key")
        else:
            expected.add(field.attname)
    twin = {field.attname for field in bench.PlainCustomer._meta.concrete_fields}

    assert twin == expected


def test_on_postgresql_the_filled_tables_have_statistics(db):
    """As autovacuum gives them soon after a load: otherwise the timed plans are the
    planner's guesses (reltuples is -1 until a table is analysed)."""
    if connections["default"].vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite keeps no statistics unless asked")
    with bench.throwaway_database(), bulk_read("bench"):
        bench.create_tables()
        try:
            bench.fill(30)
            with connections[bench.BENCH_DB].cursor() as cursor:
                cursor.execute(
                    "SELECT relname, reltuples FROM pg_class WHERE relname IN (%s, %s)",
                    [Customer._meta.db_table, bench.PlainCustomer._meta.db_table],
                )
                assert dict(cursor.fetchall()) == {
                    Customer._meta.db_table: 30,
                    bench.PlainCustomer._meta.db_table: 30,
                }
        finally:
            bench.drop_tables()
