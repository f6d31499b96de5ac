"""Each customer link carries its entry's action, so the bulk-viewing alert reads only
the links it counts (through a partial index) instead of every link of the person.

Existing links get their entry's action. The links are append-only (triggers refuse
UPDATE), so the triggers on that one table are lifted for the fill and put back, all
inside this migration's transaction. The SQL is frozen here, not imported.
"""

from django.db import migrations, models

TABLE = "audit_auditentrycustomer"
FILL = (
    f"UPDATE {TABLE} SET action = "
    f"(SELECT e.action FROM audit_auditentry e WHERE e.id = {TABLE}.entry_id)"
)
SQLITE_NO_UPDATE = (
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'audit ledger is append-only'); END"
)


def fill_actions(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_update")
            cursor.execute(FILL)
            cursor.execute(SQLITE_NO_UPDATE)
        elif vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
            cursor.execute(FILL)
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
        else:
            cursor.execute(FILL)


class Migration(migrations.Migration):

    dependencies = [("audit", "0005_change_log_append_only")]

    operations = [
        migrations.AddField(
            model_name="auditentrycustomer",
            name="action",
            field=models.CharField(blank=True, max_length=40, null=True),
        ),
        # Going back drops the column: nothing to undo in the rows.
        migrations.RunPython(fill_actions, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="auditentrycustomer", name="audit_cust_actor_time"),
        migrations.AddIndex(
            model_name="auditentrycustomer",
            index=models.Index(
                condition=models.Q(("action__in", ("customer.view", "customer.reveal"))),
                fields=["actor_id", "created_at", "customer_id"],
                name="audit_cust_counted",
            ),
        ),
    ]
