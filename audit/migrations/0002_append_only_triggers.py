# Frozen: the append-only triggers as audit.triggers made them when this migration was
# written. Migrations are history and never import live code that may change; the app
# itself reinstalls the current triggers after every migrate (audit.apps.ensure_triggers).

from django.db import migrations

PROTECTED_TABLES = ("audit_auditentry", "audit_auditentrycustomer")
PERMIT_TABLE = "audit_purgepermit"
MESSAGE = "audit ledger is append-only"

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM {PERMIT_TABLE}) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '{MESSAGE}: % refused on %', TG_OP, TG_TABLE_NAME;
END
$$
"""


def statements(vendor, install):
    sql = []
    for table in PROTECTED_TABLES:
        if vendor == "sqlite" and install:
            sql += [
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
                f"WHEN NOT EXISTS (SELECT 1 FROM {PERMIT_TABLE}) "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
            ]
        elif vendor == "sqlite":
            sql += [
                f"DROP TRIGGER IF EXISTS {table}_no_update",
                f"DROP TRIGGER IF EXISTS {table}_no_delete",
            ]
        elif vendor == "postgresql" and install:
            sql.append(
                f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
            )
        elif vendor == "postgresql":
            sql.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        else:
            raise NotImplementedError(f"No append-only triggers for {vendor}.")
    if vendor == "postgresql" and install:
        sql.insert(0, PG_FUNCTION)
    return sql


def run(schema_editor, install):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for sql in statements(connection.vendor, install):
            cursor.execute(sql)


def install(apps, schema_editor):
    run(schema_editor, install=True)


def remove(apps, schema_editor):
    run(schema_editor, install=False)


class Migration(migrations.Migration):

    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
