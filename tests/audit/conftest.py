from contextlib import contextmanager

import pytest
from django.db import connection

from audit import triggers


@contextmanager
def without_triggers():
    """Act as someone who owns the database and dropped the ledger's triggers (inside
    the test's transaction, so they come back at rollback)."""
    triggers.remove(connection)
    try:
        yield
    finally:
        triggers.install(connection)


def run_sql(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def ledger(db):
    """Five plain entries, written through record()."""
    from audit.ledger import record

    return [record("audit.read", detail={"n": n}) for n in range(1, 6)]


def appearance_rows():
    """The customer appearances the database keeps beside the entries, as sorted
    ``(entry_id, customer_id)`` pairs (SQLite; PostgreSQL keeps none: its GIN index is
    over the entries themselves, audit.appearances)."""
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.entry_id, k.customer_id FROM audit_appearance a "
            "JOIN audit_customerkey k ON k.id = a.customer_key ORDER BY 1, 2"
        )
        return cursor.fetchall()


def named_entries(customer_id):
    """The ids of the entries that name ``customer_id``, found as "who looked" finds
    them (audit.appearances.naming)."""
    from audit.appearances import naming
    from audit.models import AuditEntry

    return list(AuditEntry.objects.filter(naming(customer_id)).values_list("pk", flat=True))


def delete_appearances(entries_sql="SELECT id FROM audit_auditentry", params=()):
    """Delete the appearance rows of the entries ``entries_sql`` selects, as someone who
    dropped the triggers would (nothing to delete on PostgreSQL)."""
    if connection.vendor == "sqlite":
        run_sql(f"DELETE FROM audit_appearance WHERE entry_id IN ({entries_sql})", params)  # noqa: S608
