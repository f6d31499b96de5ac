import importlib

import pytest
from django.db import DatabaseError, connection, transaction

from audit import triggers
from audit.models import AuditEntry
from tests.audit.conftest import run_sql

TRUNCATE_MIGRATION = "audit.migrations.0004_refuse_truncate"


def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (its DELETE is refused by the row triggers)")
    # Rows written in this test's transaction leave deferred foreign-key checks, which
    # would stop TRUNCATE before the trigger has its say.
    run_sql("SET CONSTRAINTS ALL IMMEDIATE")


# The appearance tables are SQLite's only (audit.appearances), which has no TRUNCATE.
@pytest.mark.parametrize("table", ["audit_auditentry"])
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
        run_sql("TRUNCATE audit_auditentry CASCADE")


def test_migrating_back_removes_only_the_truncate_triggers(ledger):
    postgresql_only()
    migration = importlib.import_module(TRUNCATE_MIGRATION)
    with connection.schema_editor(atomic=False) as editor:
        # Its link table is gone since 0018: dropping its trigger is skipped.
        migration.remove(None, editor)
    try:
        with transaction.atomic():
            run_sql("TRUNCATE audit_auditentry CASCADE")
            assert not AuditEntry.objects.exists()
            transaction.set_rollback(True)
        with pytest.raises(DatabaseError), transaction.atomic():
            run_sql("DELETE FROM audit_auditentry")  # the row triggers stay
    finally:
        triggers.install(connection)  # 0004's own install names the link table


def test_the_change_log_and_its_triggers_are_gone(db):
    """django-auditlog's change records went into the ledger's history (audit 0011)."""
    assert "audit_changelogentry" not in connection.introspection.table_names()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        names = [name for (name,) in cursor.fetchall()]
    assert names and not [name for name in names if "changelogentry" in name]
