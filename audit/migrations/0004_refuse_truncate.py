# PostgreSQL's TRUNCATE fires no row trigger, so it emptied the ledger past 0002's
# triggers; a statement trigger refuses it, permit or not (purge_audit deletes rows).
# SQLite has no TRUNCATE. The SQL is written out here: migrations are frozen history.
from django.db import migrations

TABLES = ("audit_auditentry", "audit_auditentrycustomer")


def run(schema_editor, statements):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install(apps, schema_editor):
    run(
        schema_editor,
        [
            f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
            for table in TABLES
        ],
    )


def remove(apps, schema_editor):
    run(schema_editor, [f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}" for t in TABLES])


class Migration(migrations.Migration):

    dependencies = [("audit", "0003_action_and_outcome_names")]

    operations = [migrations.RunPython(install, remove)]
