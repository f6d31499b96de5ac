import threading
import uuid

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, connections, transaction
from django.test import RequestFactory

from audit.ledger import record
from audit.management.commands.verify_audit import verify_ledger
from audit.models import AuditEntry
from tests.audit.conftest import appearance_rows, named_entries, run_sql


def test_it_records_who_when_where_and_what(people):
    request = RequestFactory().get(
        "/admin/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Firefox/130"
    )
    request.user = people.carol
    request.request_id = str(uuid.uuid4())
    customer = uuid.uuid4()

    entry = record(
        "customer.reveal",
        request=request,
        target=("customers.customer", customer),
        customers=[customer],
        detail={"field": "phone", "reason": "delivery"},
    )

    entry.refresh_from_db()
    assert (entry.actor_id, entry.actor_username, entry.actor_role) == (
        people.carol.pk,
        "carol",
        "staff",
    )
    assert (entry.ip, entry.user_agent, entry.request_id) == (
        "203.0.113.7",
        "Firefox/130",
        request.request_id,
    )
    assert entry.target_id == str(customer)
    assert entry.customer_ids == [str(customer)]
    assert entry.detail == {"field": "phone", "reason": "delivery"}
    assert entry.outcome == "ok"
    assert named_entries(str(customer)) == [entry.pk]


def test_it_records_a_refusal_with_its_reason(people):
    entry = record(
        "customer.reveal",
        actor=people.carol,
        outcome="refused",
        detail={"field": "phone", "reason_code": "quota"},
    )
    assert AuditEntry.objects.filter(pk=entry.pk, outcome="refused").exists()


def test_it_numbers_entries_and_chains_them(db):
    first = record("audit.read")
    second = record("audit.read")
    assert second.seq == first.seq + 1
    assert second.prev_chain == first.chain
    assert verify_ledger().intact


def test_it_writes_nothing_when_the_work_fails(db):
    before = AuditEntry.objects.count()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        record("audit.read")
        Group.objects.create(name="half-done")
        1 / 0
    assert AuditEntry.objects.count() == before
    assert not Group.objects.filter(name="half-done").exists()
    after = record("audit.read")
    assert verify_ledger().intact
    assert after.seq == AuditEntry.objects.count()


def test_it_does_no_work_when_the_entry_fails(db, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("ledger unavailable")

    monkeypatch.setattr("audit.ledger.chain_value", broken)
    with pytest.raises(DatabaseError), transaction.atomic():
        Group.objects.create(name="unrecorded")  # audit.changes -> model.create -> record
    assert not Group.objects.filter(name="unrecorded").exists()


def test_triggers_refuse_update(ledger):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=ledger[0].seq).update(action="edited")
    with pytest.raises(DatabaseError), transaction.atomic():
        run_sql("UPDATE audit_auditentry SET chain = 'x'")
    assert AuditEntry.objects.filter(action="edited").count() == 0


def test_triggers_refuse_delete(ledger):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=ledger[0].seq).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        run_sql("DELETE FROM audit_auditentry")
    assert AuditEntry.objects.count() >= len(ledger)


def test_triggers_protect_the_customer_index(people):
    entry = record("customer.view", actor=people.carol, customers=["c-1"])
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps no appearance rows: its index is over the entries")
    for sql in (
        "UPDATE audit_customerkey SET customer_id = 'c-2'",
        "DELETE FROM audit_customerkey",
        "UPDATE audit_appearance SET entry_id = entry_id + 1",
        "DELETE FROM audit_appearance",
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            run_sql(sql)
    assert appearance_rows() == [(entry.pk, "c-1")]
    assert named_entries("c-1") == [entry.pk]


MARKERS = ["山田花子", "hanako@example.jp", "090-1234-5678", "東京都港区1-2-3"]


def test_it_keeps_personal_data_out_of_every_column(people):
    """The ledger holds the typed username, ids and field names, never values."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=people.erin.pk)
    user.first_name, user.last_name, user.email = MARKERS[0], MARKERS[3], MARKERS[1]
    user.save()
    record("customer.list", actor=people.carol, detail={"kind": "phone", "matches": 1})
    tables = ["audit_auditentry"]
    if connection.vendor == "sqlite":
        tables += ["audit_customerkey", "audit_appearance"]
    for table in tables:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            dump = repr(cursor.fetchall())
        for marker in MARKERS:
            assert marker not in dump, (table, marker)


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_chain():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers itself; the row lock is PostgreSQL's")
    threads, errors = 8, []
    per_thread = 10
    barrier = threading.Barrier(threads)

    def append():
        try:
            barrier.wait()
            for n in range(per_thread):
                with transaction.atomic():
                    record("audit.read", detail={"n": n})
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=append) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    entries = list(AuditEntry.objects.filter(action="audit.read").order_by("seq"))
    assert len(entries) == threads * per_thread
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert verify_ledger().intact


@pytest.mark.parametrize("kwargs", [{"action": "customer.veiw"}, {"outcome": "denied"}])
def test_it_refuses_action_and_outcome_names_it_does_not_know(db, kwargs):
    before = AuditEntry.objects.count()
    call = {"action": "customer.view", **kwargs}
    with pytest.raises(ValueError, match="is not a ledger"):
        record(call.pop("action"), **call)
    assert AuditEntry.objects.count() == before
