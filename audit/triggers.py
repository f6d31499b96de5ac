# ruff: noqa: S608 (the SQL is built from constants only)
"""Database triggers that make the ledger append-only, on SQLite and PostgreSQL.

UPDATE (and on PostgreSQL TRUNCATE, which skips row triggers) is always refused; DELETE
only while a ``PurgePermit`` row exists, which ``purge_audit`` creates and removes inside
its own transaction. Someone who owns the database can still drop the triggers: they stop
mistakes and casual edits, and the hash chain (``verify_audit``) shows whatever got past.
"""

# The ledger and, on SQLite, its customer appearances (audit.appearances; PostgreSQL
# keeps none beside the entries).
PROTECTED_TABLES = ("audit_auditentry", "audit_customerkey", "audit_appearance")
SQLITE_ONLY = ("audit_customerkey", "audit_appearance")
PERMIT_TABLE = "audit_purgepermit"
MESSAGE = "audit ledger is append-only"


def _sqlite_install(table):
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
        f"WHEN NOT EXISTS (SELECT 1 FROM {PERMIT_TABLE}) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    ]


def _sqlite_remove(table):
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update",
        f"DROP TRIGGER IF EXISTS {table}_no_delete",
    ]


_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM {PERMIT_TABLE}) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '{MESSAGE}: % refused on %', TG_OP, TG_TABLE_NAME;
END
$$
"""


def _pg_install(table):
    return [
        f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
        f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
    ]


def _pg_remove(table):
    return [
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
    ]


def statements(vendor, install=True, tables=PROTECTED_TABLES):
    """The SQL that installs (or removes) the triggers on this database vendor."""
    if vendor == "sqlite":
        make = _sqlite_install if install else _sqlite_remove
        return [sql for table in tables for sql in make(table)]
    if vendor == "postgresql":
        make = _pg_install if install else _pg_remove
        tables = [table for table in tables if table not in SQLITE_ONLY]
        sql = [sql for table in tables for sql in make(table)]
        return [_PG_FUNCTION, *sql] if install else sql
    raise NotImplementedError(f"No append-only triggers for {vendor}.")


def _present(connection):
    """The protected tables this database has (a database migrated back before 0022
    lacks the appearance tables)."""
    with connection.cursor() as cursor:
        names = set(connection.introspection.table_names(cursor))
    return [table for table in PROTECTED_TABLES if table in names]


def install(connection):
    """Create the triggers (idempotent)."""
    sql = statements(connection.vendor, tables=_present(connection))
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)


def remove(connection):
    """Drop the triggers (migrations backwards, and ``flush``, which wipes everything)."""
    sql = statements(connection.vendor, install=False, tables=_present(connection))
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)
