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
