# django-auditlog's change records (audit.ChangeLogEntry) get the ledger's refusals:
# no UPDATE, no TRUNCATE, DELETE only under purge_audit's permit. auditlog itself only
# inserts them; nobody deletes a person (whose deletion would null the actor column).
# The SQL is written out here: migrations are frozen history.
from django.db import migrations

TABLE = "audit_changelogentry"
MESSAGE = "audit ledger is append-only"

SQLITE_INSTALL = [
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
    "WHEN NOT EXISTS (SELECT 1 FROM audit_purgepermit) "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]
SQLITE_REMOVE = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete",
]
# audit_append_only() is 0002's function.
PG_INSTALL = [
    f"CREATE OR REPLACE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    f"CREATE OR REPLACE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
]
PG_REMOVE = [
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
]
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

    dependencies = [("audit", "0004_refuse_truncate")]

    operations = [migrations.RunPython(install, remove)]
