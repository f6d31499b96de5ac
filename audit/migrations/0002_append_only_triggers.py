# The SQL is written out here, not taken from audit/triggers.py: a migration is frozen
# history, and the live module grows (TRUNCATE, the change log) in later migrations.
from django.db import migrations

MESSAGE = "audit ledger is append-only"
TABLES = ("audit_auditentry", "audit_auditentrycustomer")

SQLITE_INSTALL = [
    sql
    for table in TABLES
    for sql in (
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
        "WHEN NOT EXISTS (SELECT 1 FROM audit_purgepermit) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    )
]
SQLITE_REMOVE = [
    f"DROP TRIGGER IF EXISTS {table}_{suffix}"
    for table in TABLES
    for suffix in ("no_update", "no_delete")
]
PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_purgepermit) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '{MESSAGE}: % refused on %', TG_OP, TG_TABLE_NAME;
END
$$
"""
PG_INSTALL = [PG_FUNCTION] + [
    f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
    for table in TABLES
]
PG_REMOVE = [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in TABLES]
SQL = {"sqlite": (SQLITE_INSTALL, SQLITE_REMOVE), "postgresql": (PG_INSTALL, PG_REMOVE)}


def run(schema_editor, install):
    statements = SQL[schema_editor.connection.vendor][0 if install else 1]
    with schema_editor.connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install(apps, schema_editor):
    run(schema_editor, install=True)


def remove(apps, schema_editor):
    run(schema_editor, install=False)


class Migration(migrations.Migration):

    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
