import importlib

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEntry, AuditEntryCustomer
from tests.audit.conftest import run_sql

TRUNCATE_MIGRATION = "audit.migrations.0004_refuse_truncate"


def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (its DELETE is refused by the row triggers)")
    # Rows written in this test's transaction leave deferred foreign-key checks, which
    # would stop TRUNCATE before the trigger has its say.
    run_sql("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.parametrize("table", ["audit_auditentry", "audit_auditentrycustomer"])
def test_it_refuses_truncate(ledger, table):
    postgresql_only()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        run_sql(f"TRUNCATE {table} CASCADE")
    assert AuditEntry.objects.count() >= len(ledger)


def test_it_refuses_truncate_even_with_a_purge_permit(ledger):
    from audit.models import PurgePermit

    postgresql_only()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        PurgePermit.objects.create()
        run_sql("TRUNCATE audit_auditentrycustomer")


def test_migrating_back_removes_only_the_truncate_triggers(ledger):
    postgresql_only()
    migration = importlib.import_module(TRUNCATE_MIGRATION)
    with connection.schema_editor(atomic=False) as editor:
        migration.remove(None, editor)
    try:
        with transaction.atomic():
            run_sql("TRUNCATE audit_auditentrycustomer")
            assert not AuditEntryCustomer.objects.exists()
            transaction.set_rollback(True)
        with pytest.raises(DatabaseError), transaction.atomic():
            run_sql("DELETE FROM audit_auditentry")  # the row triggers stay
    finally:
        with connection.schema_editor(atomic=False) as editor:
            migration.install(None, editor)


@pytest.fixture
def change_record(db):
    from django.contrib.auth.models import Group

    from audit.models import ChangeLogEntry

    group = Group.objects.create(name="marker-group")
    return ChangeLogEntry.objects.get(object_pk=str(group.pk), action=0)


def test_it_refuses_to_update_a_change_record(change_record):
    from audit.models import ChangeLogEntry

    with pytest.raises(DatabaseError), transaction.atomic():
        ChangeLogEntry.objects.filter(pk=change_record.pk).update(object_pk="other")
    with pytest.raises(DatabaseError), transaction.atomic():
        run_sql("UPDATE audit_changelogentry SET action = 2")
    assert ChangeLogEntry.objects.get(pk=change_record.pk).object_pk == change_record.object_pk


def test_it_refuses_to_delete_a_change_record(change_record):
    from audit.models import ChangeLogEntry

    with pytest.raises(DatabaseError), transaction.atomic():
        ChangeLogEntry.objects.filter(pk=change_record.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        run_sql("DELETE FROM audit_changelogentry")
    assert ChangeLogEntry.objects.filter(pk=change_record.pk).exists()


def test_it_refuses_to_truncate_the_change_records(change_record):
    postgresql_only()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        run_sql("TRUNCATE audit_changelogentry")


def test_auditlog_only_ever_inserts_change_records(people):
    # Every kind of change we track, with the triggers in place: none may fail.
    from django.contrib.auth.models import Group

    from accounts.roles import set_role
    from audit.models import ChangeLogEntry
    from vault.roles import MANAGER

    before = ChangeLogEntry.objects.count()
    group = Group.objects.create(name="marker-group")
    group.name = "marker-group-2"
    group.save()
    set_role(people.carol, MANAGER)
    group.delete()
    assert ChangeLogEntry.objects.count() >= before + 4
