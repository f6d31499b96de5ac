"""verify_audit covers the customer index ("who looked at this customer"): the chained
entry's ``customer_ids`` is the truth, and every appearance row must match it.

PostgreSQL keeps no rows beside the entries (its GIN index is computed from the chained
column itself, audit.appearances), so the tampering tests run on SQLite, where the
appearances are rows someone could edit."""

import pytest
from django.db import connection

from audit.ledger import record
from audit.management.commands.verify_audit import verify_ledger
from audit.models import AuditEntry
from tests.audit.conftest import appearance_rows, named_entries, run_sql, without_triggers

ROWS = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="PostgreSQL keeps no appearance rows to tamper with"
)


@pytest.fixture
def views(people):
    """Four views by carol, each of one or two customers."""
    customers = [["c-1"], ["c-2", "c-3"], ["c-4"], ["c-5"]]
    return [record("customer.view", actor=people.carol, customers=ids) for ids in customers]


def key_of(customer_id):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM audit_customerkey WHERE customer_id = %s", [customer_id])
        row = cursor.fetchone()
    return row[0] if row else None


def add_key(customer_id):
    run_sql("INSERT OR IGNORE INTO audit_customerkey (customer_id) VALUES (%s)", [customer_id])
    return key_of(customer_id)


def assert_bad(seq):
    verdict = verify_ledger()
    assert not verdict.intact
    assert verdict.bad_seq == seq, verdict.problem
    assert "customer index" in verdict.problem


def test_it_passes_an_index_that_matches(views):
    verdict = verify_ledger()
    assert verdict.intact, verdict.problem
    assert named_entries("c-3") == [views[1].pk]


@ROWS
def test_each_customer_of_an_entry_has_one_appearance(views):
    assert appearance_rows() == [
        (views[0].pk, "c-1"),
        (views[1].pk, "c-2"),
        (views[1].pk, "c-3"),
        (views[2].pk, "c-4"),
        (views[3].pk, "c-5"),
    ]


@ROWS
def test_it_finds_a_missing_index_row(views):
    with without_triggers():
        run_sql("DELETE FROM audit_appearance WHERE customer_key = %s", [key_of("c-3")])
    assert_bad(views[1].seq)


@ROWS
def test_it_finds_an_extra_index_row(views):
    entry = views[2]
    key = add_key("c-9")
    run_sql(
        "INSERT INTO audit_appearance (entry_id, customer_key) VALUES (%s, %s)", [entry.pk, key]
    )
    assert_bad(entry.seq)


@ROWS
def test_it_finds_an_index_row_repointed_to_another_customer(views):
    key = add_key("c-9")
    with without_triggers():
        run_sql(
            "UPDATE audit_appearance SET customer_key = %s WHERE customer_key = %s",
            [key, key_of("c-4")],
        )
    assert_bad(views[2].seq)


@ROWS
def test_it_finds_a_customer_key_renamed(views):
    # Every appearance of the key now names another customer.
    with without_triggers():
        run_sql("UPDATE audit_customerkey SET customer_id = 'c-9' WHERE customer_id = 'c-4'")
    assert_bad(views[2].seq)


@ROWS
def test_it_finds_an_index_row_repointed_to_another_entry_by_the_earlier_seq(views):
    with without_triggers():
        run_sql(
            "UPDATE audit_appearance SET entry_id = %s WHERE customer_key = %s",
            [views[0].pk, key_of("c-5")],
        )
    assert_bad(views[0].seq)


@ROWS
def test_it_finds_index_rows_for_an_entry_that_does_not_exist(views):
    missing_id = AuditEntry.objects.order_by("-pk").first().pk + 100
    run_sql(
        "INSERT INTO audit_appearance (entry_id, customer_key) VALUES (%s, %s)",
        [missing_id, add_key("c-9")],
    )
    verdict = verify_ledger()
    assert not verdict.intact
    assert str(missing_id) in verdict.problem


def test_it_passes_customer_ids_that_json_writes_differently(people):
    # Non-ASCII, quotes and backslashes: the database's JSON text differs from ours.
    entry = record("customer.view", actor=people.carol, customers=['顧客"1', "a\\b", "x,y"])
    verdict = verify_ledger()
    assert verdict.intact, verdict.problem
    assert named_entries('顧客"1') == named_entries("a\\b") == [entry.pk]


def test_the_same_customer_twice_in_one_entry_is_one_appearance(people):
    entry = record("customer.view", actor=people.carol, customers=["c-1", "c-1"])
    verdict = verify_ledger()
    assert verdict.intact, verdict.problem
    assert named_entries("c-1") == [entry.pk]


@ROWS
def test_it_sees_through_ids_that_mimic_the_json_of_several(people):
    entry = record("customer.view", actor=people.carol, customers=["a", "b"])
    with without_triggers():
        run_sql("DELETE FROM audit_appearance WHERE customer_key = %s", [key_of("b")])
        run_sql("""UPDATE audit_customerkey SET customer_id = 'a","b' WHERE customer_id = 'a'""")
    assert_bad(entry.seq)


@ROWS
def test_the_command_names_the_entry(views, capsys):
    from django.core.management import call_command

    with without_triggers():
        run_sql("DELETE FROM audit_appearance WHERE customer_key = %s", [key_of("c-2")])
    with pytest.raises(SystemExit) as exit:
        call_command("verify_audit")
    assert exit.value.code == 1
    assert f"entry {views[1].seq} " in capsys.readouterr().err


@ROWS
@pytest.mark.django_db(transaction=True)
def test_parallel_workers_check_the_index(monkeypatch):
    from audit.management.commands import verify_audit as command

    monkeypatch.setattr(command, "PARALLEL_FROM", 0)
    entries = [record("customer.view", customers=[f"c-{n}"]) for n in range(9)]
    assert command.verify_ledger(workers=3).intact
    with without_triggers():
        run_sql("DELETE FROM audit_appearance WHERE customer_key = %s", [key_of("c-6")])
    verdict = command.verify_ledger(workers=3)
    assert verdict.bad_seq == entries[6].seq


@ROWS
def test_it_finds_an_appearance_of_an_entry_that_names_nobody(people):
    entry = record("auth.sign_in", actor=people.carol)
    run_sql(
        "INSERT INTO audit_appearance (entry_id, customer_key) VALUES (%s, %s)",
        [entry.pk, add_key("c-9")],
    )
    assert_bad(entry.seq)


@ROWS
@pytest.mark.parametrize("customers", [["c-1"], ["c-1", "c-2", "c-3"]])
def test_it_finds_an_appearance_whose_key_names_no_customer(people, customers):
    entry = record("customer.view", actor=people.carol, customers=customers)
    with without_triggers():
        run_sql(
            "UPDATE audit_appearance SET customer_key = 999999 WHERE customer_key = %s",
            [key_of("c-1")],
        )
    assert_bad(entry.seq)


@ROWS
def test_it_checks_every_customer_of_a_list_page(people):
    shown = [f"c-{n:02d}" for n in range(50)]
    entry = record("customer.list", actor=people.carol, customers=shown)
    assert verify_ledger().intact
    with without_triggers():
        run_sql(
            "UPDATE audit_appearance SET customer_key = %s WHERE customer_key = %s",
            [add_key("c-99"), key_of("c-37")],
        )
    assert_bad(entry.seq)


def test_an_intact_ledger_is_not_searched_again_for_rows_of_no_entry(views):
    """The scan counts the customers its entries name; when the appearance rows are
    exactly that many, the full pass over them for rows of a missing entry is skipped."""
    from django.test.utils import CaptureQueriesContext

    from audit.chain import stray_index_sql

    with CaptureQueriesContext(connection) as queries:
        assert verify_ledger().intact
    assert not any("NOT EXISTS" in query["sql"] for query in queries.captured_queries)
    assert "NOT EXISTS" in stray_index_sql() or connection.vendor != "sqlite"


@ROWS
def test_rows_of_a_missing_entry_are_found_beside_entries_written_during_the_check(
    views, monkeypatch
):
    """The appearance rows are counted with the ledger's bounds; entries written after
    that moment (here one naming one customer, as many rows as the stray ones) must not
    make the count come out even and hide the stray rows."""
    from audit.management.commands import verify_audit as command

    missing_id = AuditEntry.objects.order_by("-pk").first().pk + 100
    run_sql(
        "INSERT INTO audit_appearance (entry_id, customer_key) VALUES (%s, %s)",
        [missing_id, add_key("c-9")],
    )
    bounds = command._bounds

    def bounds_then_a_new_entry():
        found = bounds()
        record("customer.view", customers=["c-10"])
        return found

    monkeypatch.setattr(command, "_bounds", bounds_then_a_new_entry)
    verdict = verify_ledger()
    assert not verdict.intact
    assert str(missing_id) in verdict.problem
