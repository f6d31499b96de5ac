"""An import's ledger entries come in parts (issue #24): one customer.import entry per
ENTRY_CUSTOMERS customers, written as the rows are, all with one import id, so the
import's memory stays flat in the number of rows; together they name every customer."""

import tracemalloc

import pytest
from django.db import connection

from audit import appearances
from audit.models import AuditEntry
from customers import importing
from customers.importing import ImportRefused, Repeats, import_customers
from customers.models import Category, Customer, ProductCategory
from customers.orders import import_orders
from tests.customers.test_import_customers import small_export
from tests.customers.test_import_orders import SHOPIFY_HEADER
from tests.customers.vault import make_customer
from tests.signing import signed_in

pytestmark = pytest.mark.usefixtures("test_reads")


def export(rows, *, repeat_first_at=None):
    lines = ["Email,First Name,Last Name"]
    for i in range(rows):
        number = 0 if i == repeat_first_at else i
        lines.append(f"user{number}@example.com,花子{i},例")
    return ("\r\n".join(lines) + "\r\n").encode()


def imports():
    return AuditEntry.objects.filter(action="customer.import").order_by("seq")


@pytest.mark.parametrize(("rows", "sizes"), [(5, [2, 2, 1]), (4, [2, 2]), (1, [1])])
def test_an_import_writes_one_entry_per_part_with_one_import_id(db, monkeypatch, rows, sizes):
    monkeypatch.setattr(importing, "ENTRY_CUSTOMERS", 2)

    result = import_customers(export(rows))

    entries = list(imports())
    assert [len(e.customer_ids) for e in entries] == sizes
    assert len({e.detail["import"] for e in entries}) == 1
    assert [e.detail["part"] for e in entries] == list(range(1, len(sizes) + 1))
    named = [c for e in entries for c in e.customer_ids]
    assert sorted(named) == sorted(str(pk) for pk in Customer.objects.values_list("pk", flat=True))
    assert all(e.detail["rows"] == rows and e.detail["sha256"] == result.digest for e in entries)
    # The totals are the last part's, once: no part counts what another did.
    *parts, last = entries
    assert last.detail["parts"] == len(sizes) and last.detail["created"] == rows
    assert all("created" not in e.detail and "parts" not in e.detail for e in parts)
    assert (
        result.created == rows
        and result.created_ids[0] == Customer.objects.earliest("created_at").pk
    )


def test_a_re_import_names_its_unchanged_and_updated_customers_in_parts(db, monkeypatch):
    monkeypatch.setattr(importing, "ENTRY_CUSTOMERS", 2)
    import_customers(export(3))
    first = {e.detail["import"] for e in imports()}

    import_customers(export(3).replace("花子0".encode(), "花子X".encode()))

    again = [e for e in imports() if e.detail["import"] not in first]
    assert [len(e.customer_ids) for e in again] == [2, 1]
    assert {c for e in again for c in e.customer_ids} == {
        str(pk) for pk in Customer.objects.values_list("pk", flat=True)
    }
    assert again[-1].detail | {"updated": 1, "unchanged": 2} == again[-1].detail


def test_a_file_refused_while_it_is_written_leaves_none_of_its_parts(db, monkeypatch):
    """A problem met while writing (the database changed since the check) rolls back
    the parts already recorded with the customers they name."""
    monkeypatch.setattr(importing, "ENTRY_CUSTOMERS", 2)
    monkeypatch.setattr(importing, "check", lambda *args: None)  # as if it passed

    with pytest.raises(ImportRefused):
        import_customers(export(6, repeat_first_at=5))  # line 7 repeats line 2's e-mail

    assert not Customer.objects.exists()
    assert [e.outcome for e in imports()] == ["refused"]
    assert all(not entry.customer_ids for entry in imports())
    if appearances.stores_rows():  # SQLite: no appearance of a rolled-back part is left
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {appearances.APPEARANCE_TABLE}")
            assert cursor.fetchone()[0] == 0


def test_who_looked_lists_the_import_for_a_customer_of_a_later_part(client, people, monkeypatch):
    monkeypatch.setattr(importing, "ENTRY_CUSTOMERS", 2)
    import_customers(export(5), actor=people.alice)
    last = imports().last()
    customer = last.customer_ids[0]

    signed_in(client, people.alice)
    response = client.get("/admin/audit/auditentry/", {"customer": customer})

    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert [e.pk for e in shown if e.action == "customer.import"] == [last.pk]


def test_a_repeated_e_mail_far_apart_is_still_found(db):
    data = export(3000, repeat_first_at=2999)
    with pytest.raises(ImportRefused) as refused:
        import_customers(data)
    [problem] = refused.value.problems
    assert (problem.line, problem.message) == (3001, "2行目と同じメールアドレスです。")


def test_repeats_are_found_in_fixed_memory():
    repeats = Repeats()
    size = len(repeats._bits)
    for i in range(50_000):
        repeats.add(f"user{i}@example.com")
    repeats.add("user7@example.com")

    assert len(repeats._bits) == size
    # The one repeat, and at most a rare key the filter takes for one.
    assert len(repeats.candidates) <= 2
    seen = repeats.seen()
    assert seen.first_line("user7@example.com", 9) == 9
    assert seen.first_line("user7@example.com", 30) == 9
    assert seen.first_line("user8@example.com", 31) == 31


def peak_bytes_of_a_whole_import(path):
    tracemalloc.start()
    try:
        with open(path, "rb") as source:
            import_customers(source)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        Customer.objects.all().delete()


@pytest.mark.slow
def test_a_whole_import_keeps_memory_flat(db, tmp_path, settings):
    """Peak memory of importing N and 4N new customers: about equal. The import used to
    hold every id it wrote for its one ledger entry (about 500 bytes a row)."""
    settings.SHOPGUARD_IMPORT_MAX_ROWS = 100_000
    rows = 1_000
    peak_bytes_of_a_whole_import(small_export(tmp_path / "warm.csv", 10))  # warm-up
    peak_n = peak_bytes_of_a_whole_import(small_export(tmp_path / "n.csv", rows))
    peak_4n = peak_bytes_of_a_whole_import(small_export(tmp_path / "4n.csv", 4 * rows))

    print(f"import peak: {peak_n / 1e6:.2f} MB at {rows} rows, ", end="")
    print(f"{peak_4n / 1e6:.2f} MB at {4 * rows} rows")
    assert (peak_4n - peak_n) / (3 * rows) < 150  # bytes per extra row
    assert imports().filter(outcome="ok").count() == 1 + 1 + 4


def test_an_order_file_is_recorded_in_parts_too(db, monkeypatch):
    monkeypatch.setattr(importing, "ENTRY_CUSTOMERS", 2)
    ProductCategory.objects.create(
        product_name="例のお茶", category=Category.objects.get(code="food")
    )
    buyers = [make_customer(email=f"buyer{i}@example.com") for i in range(3)]
    lines = [
        f"#{1001 + i},buyer{i}@example.com,paid,2026-11-02 14:05:00 +0900,,JPY,600,0,600,1,"
        "例のお茶,600.00,T1,,,,,,,,,"
        for i in range(3)
    ]
    import_orders(("\r\n".join([SHOPIFY_HEADER, *lines]) + "\r\n").encode(), "shopify-orders")

    entries = list(imports())
    assert [len(e.customer_ids) for e in entries] == [2, 1]
    assert {c for e in entries for c in e.customer_ids} == {str(b.pk) for b in buyers}
    assert len({e.detail["import"] for e in entries}) == 1
    assert entries[-1].detail["purchases"] == 3 and "purchases" not in entries[0].detail
