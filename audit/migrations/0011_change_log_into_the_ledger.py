# django-auditlog is gone: model changes are recorded by audit.changes, straight into the
# ledger. Every change record of audit.ChangeLogEntry was written together with its ledger
# twin (a model.create, model.update, model.delete or model.relations entry naming the same
# row) since both came in one commit (f52e384), so the records are already the ledger's
# history. This migration counts them and their twins, and drops the table (and its
# append-only triggers) only when every record has its twin; otherwise it leaves the table
# untouched and says so. auditlog's own table (auditlog_logentry, never written: its
# entries went to audit.ChangeLogEntry) is dropped when it exists and is empty.
#
# The SQL is written out here and the checks use the historical models: migrations are
# frozen history.
from collections import Counter

from django.db import migrations

TABLE = "audit_changelogentry"
AUDITLOG_TABLE = "auditlog_logentry"
# auditlog's action numbers -> the ledger action of the twin (3 was auditlog's "access").
VERBS = {0: "model.create", 1: "model.update", 2: "model.delete", 3: "model.access"}
TWIN_ACTIONS = [*VERBS.values(), "model.relations"]

SQLITE_TRIGGERS = [f"{TABLE}_no_update", f"{TABLE}_no_delete"]
PG_TRIGGERS = [f"{TABLE}_append_only", f"{TABLE}_no_truncate"]
MESSAGE = "audit ledger is append-only"


def twin_action(action, changes):
    """The ledger action a change record was copied as: many-to-many changes (a dict
    per field) as model.relations, the others by auditlog's action number."""
    if isinstance(changes, dict) and any(isinstance(c, dict) for c in changes.values()):
        return "model.relations"
    return VERBS.get(action, "model.access")


def records_without_twin(apps):
    """How many change records have no ledger entry of their own (same model, row and
    action). Models are matched by name: the content types of models that moved to
    another app since (ExportRequest, DataRequest) name their new app."""
    ChangeLogEntry = apps.get_model("audit", "ChangeLogEntry")
    AuditEntry = apps.get_model("audit", "AuditEntry")
    twins = Counter(
        (target_type.rpartition(".")[2], target_id, action)
        for target_type, target_id, action in AuditEntry.objects.filter(
            action__in=TWIN_ACTIONS
        ).values_list("target_type", "target_id", "action").iterator()
    )
    records = Counter(
        (model, object_pk[:64], twin_action(action, changes))
        for model, object_pk, action, changes in ChangeLogEntry.objects.values_list(
            "content_type__model", "object_pk", "action", "changes"
        ).iterator()
    )
    return sum((records - twins).values()), sum(records.values())


def drop_triggers(schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name in PG_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {TABLE}")
        else:
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def install_triggers(schema_editor):
    """0005's triggers again (migrating back); audit_append_only() is 0002's function."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE "
                f"ON {TABLE} FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
            )
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )
            cursor.execute(
                f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
                "WHEN NOT EXISTS (SELECT 1 FROM audit_purgepermit) "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )


def tables(schema_editor):
    return set(schema_editor.connection.introspection.table_names())


def drop_change_log(apps, schema_editor):
    if TABLE not in tables(schema_editor):
        return
    missing, total = records_without_twin(apps)
    if missing:
        print(
            f"\n  audit 0011: {missing} of {total} change records in {TABLE} have no "
            "model.* entry in the ledger; the table is kept as it is, with its records."
        )
        return
    drop_triggers(schema_editor)
    schema_editor.delete_model(apps.get_model("audit", "ChangeLogEntry"))
    if total:
        print(
            f"\n  audit 0011: all {total} change records are in the ledger as model.* "
            f"entries; {TABLE} is dropped."
        )


def restore_change_log(apps, schema_editor):
    if TABLE not in tables(schema_editor):
        schema_editor.create_model(apps.get_model("audit", "ChangeLogEntry"))
        install_triggers(schema_editor)


def drop_auditlog_table(apps, schema_editor):
    """auditlog's own table, and its migrations' rows, when it exists and is empty."""
    if AUDITLOG_TABLE not in tables(schema_editor):
        return
    quoted = schema_editor.quote_name(AUDITLOG_TABLE)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {quoted}")
        (rows,) = cursor.fetchone()
        if rows:
            print(f"\n  audit 0011: {AUDITLOG_TABLE} holds {rows} rows; it is kept as it is.")
            return
        cursor.execute(f"DROP TABLE {quoted}")
        # Installed again one day, auditlog would create its table anew.
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["auditlog"])


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0010_alert_and_activity_permissions"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(drop_auditlog_table, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_change_log, restore_change_log)],
            state_operations=[migrations.DeleteModel(name="ChangeLogEntry")],
        ),
    ]
