"""verify_audit covers the customer index ("who looked at this customer"): the chained
entry's ``customer_ids`` is the truth, and every index row must match it."""

import pytest

from audit.ledger import record
from audit.management.commands.verify_audit import verify_ledger
from audit.models import AuditEntry, AuditEntryCustomer
from tests.audit.conftest import run_sql, without_triggers


@pytest.fixture
def views(people):
    """Four views by carol, each of one or two customers."""
    customers = [["c-1"], ["c-2", "c-3"], ["c-4"], ["c-5"]]
    return [record("customer.view", actor=people.carol, customers=ids) for ids in customers]


def assert_bad(seq):
    verdict = verify_ledger()
    assert not verdict.intact
    assert verdict.bad_seq == seq, verdict.problem
    assert "customer index" in verdict.problem


def test_it_passes_an_index_that_matches(views):
    verdict = verify_ledger()
    assert verdict.intact, verdict.problem


def test_it_finds_a_missing_index_row(views):
    with without_triggers():
        run_sql("DELETE FROM audit_auditentrycustomer WHERE customer_id = 'c-3'")
    assert_bad(views[1].seq)


def test_it_finds_an_extra_index_row(views, people):
    entry = views[2]
    AuditEntryCustomer.objects.create(
        entry_id=entry.pk, customer_id="c-9", actor_id=people.carol.pk, created_at=entry.created_at
    )
    assert_bad(entry.seq)


def test_it_finds_an_index_row_repointed_to_another_customer(views):
    with without_triggers():
        run_sql("UPDATE audit_auditentrycustomer SET customer_id = 'c-9' WHERE customer_id = 'c-4'")
    assert_bad(views[2].seq)


def test_it_finds_an_index_row_repointed_to_another_entry_by_the_earlier_seq(views):
    with without_triggers():
        run_sql(
            "UPDATE audit_auditentrycustomer SET entry_id = %s WHERE customer_id = 'c-5'",
            [views[0].pk],
        )
    assert_bad(views[0].seq)


def test_it_finds_an_index_row_with_another_actor_or_time(views, people):
    with without_triggers():
        run_sql(
            "UPDATE audit_auditentrycustomer SET actor_id = %s WHERE customer_id = 'c-1'",
            [people.alice.pk],
        )
    assert_bad(views[0].seq)


def test_it_finds_an_index_row_without_its_entrys_actor_or_at_another_time(views):
    # Among several rows of one entry (PostgreSQL compares each entry's extremes).
    with without_triggers():
        run_sql("UPDATE audit_auditentrycustomer SET actor_id = NULL WHERE customer_id = 'c-3'")
    assert_bad(views[1].seq)
    with without_triggers():
        run_sql(
            "UPDATE audit_auditentrycustomer SET actor_id = %s WHERE customer_id = 'c-3'",
            [views[1].actor_id],
        )
        run_sql(
            "UPDATE audit_auditentrycustomer SET created_at = %s WHERE customer_id = 'c-2'",
            [views[0].created_at],
        )
    assert_bad(views[1].seq)


def test_it_finds_an_actor_on_the_index_row_of_an_entry_without_one(people):
    entry = record("customer.view", customers=["c-7"])  # no actor: a command's entry
    assert verify_ledger().intact
    with without_triggers():
        run_sql(
            "UPDATE audit_auditentrycustomer SET actor_id = %s WHERE customer_id = 'c-7'",
            [people.carol.pk],
        )
    assert_bad(entry.seq)


def test_it_finds_index_rows_for_an_entry_that_does_not_exist(views, people):
    entry = views[-1]
    missing_id = AuditEntry.objects.order_by("-pk").first().pk + 100
    AuditEntryCustomer.objects.create(
        entry_id=missing_id, customer_id="c-9", actor_id=None, created_at=entry.created_at
    )
    verdict = verify_ledger()
    with without_triggers():  # the test database checks its foreign keys at the end
        run_sql("DELETE FROM audit_auditentrycustomer WHERE entry_id = %s", [missing_id])
    assert not verdict.intact
    assert str(missing_id) in verdict.problem


def test_it_passes_customer_ids_that_json_writes_differently(people):
    # Non-ASCII, quotes and backslashes: the database's JSON text differs from ours.
    record("customer.view", actor=people.carol, customers=['顧客"1', "a\\b", "x,y"])
    verdict = verify_ledger()
    assert verdict.intact, verdict.problem


def test_it_sees_through_ids_that_mimic_the_json_of_several(people):
    entry = record("customer.view", actor=people.carol, customers=["a", "b"])
    with without_triggers():
        run_sql("DELETE FROM audit_auditentrycustomer WHERE customer_id = 'b'")
        run_sql("""UPDATE audit_auditentrycustomer SET customer_id = 'a","b' """)
    assert_bad(entry.seq)


def test_the_command_names_the_entry(views, capsys):
    from django.core.management import call_command

    with without_triggers():
        run_sql("DELETE FROM audit_auditentrycustomer WHERE customer_id = 'c-2'")
    with pytest.raises(SystemExit) as exit:
        call_command("verify_audit")
    assert exit.value.code == 1
    assert f"entry {views[1].seq} " in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_check_the_index(monkeypatch):
    from django.db import connection

    from audit.management.commands import verify_audit as command

    if connection.vendor != "postgresql":
        pytest.skip("the test database of SQLite lives in this process's memory")
    monkeypatch.setattr(command, "PARALLEL_FROM", 0)
    entries = [record("customer.view", customers=[f"c-{n}"]) for n in range(9)]
    assert command.verify_ledger(workers=3).intact
    with without_triggers():
        run_sql("DELETE FROM audit_auditentrycustomer WHERE customer_id = 'c-6'")
    verdict = command.verify_ledger(workers=3)
    assert verdict.bad_seq == entries[6].seq
