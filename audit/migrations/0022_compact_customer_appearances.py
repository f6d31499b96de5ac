"""The customer index in a compact form (issue #26: at most 5 MB of ledger per 1,000
customer-list pages), read and written only through ``audit.appearances``.

- PostgreSQL: a GIN index over each entry's own chained ``customer_ids`` replaces the
  link table. The existing links are the entries' ids (``verify_audit`` proves each
  entry's links equal its ``customer_ids``), so the index, built from the entries,
  carries every one of them.
- SQLite: each existing link becomes an appearance row ``(entry_id, customer_key)`` in a
  WITHOUT ROWID table, the customer id a small key in ``audit_customerkey``; both tables
  get the append-only triggers.

The distinct-customers alert reads the person's counted entries themselves through the
partial index ``audit_counted_time``. Going back rebuilds the link table from the
appearances (SQLite) or the entries' ids (PostgreSQL), with each entry's actor, time and
action, and its triggers. The SQL is frozen here, not imported.
"""

from django.db import migrations, models

OLD = "audit_auditentrycustomer"
MESSAGE = "audit ledger is append-only"
PERMIT = "audit_purgepermit"
NEW_TABLES = ("audit_customerkey", "audit_appearance")

SQLITE_CREATE = [
    "CREATE TABLE audit_customerkey "
    "(id integer NOT NULL PRIMARY KEY, customer_id text NOT NULL UNIQUE)",
    "CREATE TABLE audit_appearance (entry_id integer NOT NULL, "
    "customer_key integer NOT NULL, PRIMARY KEY (entry_id, customer_key)) WITHOUT ROWID",
    "CREATE INDEX audit_appearance_customer ON audit_appearance (customer_key, entry_id)",
]
SQLITE_CARRY = [
    # Keys in the order the customers first appear in the ledger.
    f"INSERT INTO audit_customerkey (customer_id) SELECT customer_id FROM {OLD} "
    "GROUP BY customer_id ORDER BY MIN(id)",
    "INSERT OR IGNORE INTO audit_appearance (entry_id, customer_key) "
    f"SELECT l.entry_id, k.id FROM {OLD} l JOIN audit_customerkey k "
    "ON k.customer_id = l.customer_id ORDER BY l.entry_id",
]
SQLITE_CARRY_BACK = (
    f"INSERT INTO {OLD} (entry_id, customer_id, actor_id, created_at, action) "
    "SELECT a.entry_id, k.customer_id, e.actor_id, e.created_at, e.action "
    "FROM audit_appearance a JOIN audit_customerkey k ON k.id = a.customer_key "
    "JOIN audit_auditentry e ON e.id = a.entry_id ORDER BY a.entry_id, k.id"
)
PG_INDEX = (
    "CREATE INDEX audit_entry_customers ON audit_auditentry "
    "USING gin ((customer_ids::jsonb) jsonb_path_ops)"
)
PG_CARRY_BACK = (
    f"INSERT INTO {OLD} (entry_id, customer_id, actor_id, created_at, action) "
    "SELECT e.id, j.value, e.actor_id, e.created_at, e.action FROM audit_auditentry e, "
    "json_array_elements_text(e.customer_ids::json) WITH ORDINALITY AS j(value, n) "
    "WHERE e.customer_ids <> '[]' ORDER BY e.id, j.n"
)


def sqlite_triggers(table):
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"WHEN NOT EXISTS (SELECT 1 FROM {PERMIT}) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    ]


def pg_triggers(table):
    # audit_append_only() is migration 0002's function.
    return [
        f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
        f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
    ]


def carry(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "sqlite":
            for sql in [*SQLITE_CREATE, *SQLITE_CARRY]:
                cursor.execute(sql)
            for table in NEW_TABLES:
                for sql in sqlite_triggers(table):
                    cursor.execute(sql)
        elif vendor == "postgresql":
            cursor.execute(PG_INDEX)
        else:
            raise NotImplementedError(f"No customer appearances for {vendor}.")


def carry_back(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute(SQLITE_CARRY_BACK)
            for table in NEW_TABLES:
                cursor.execute(f"DROP TABLE {table}")  # its triggers go with it
            statements = sqlite_triggers(OLD)
        else:
            cursor.execute(PG_CARRY_BACK)
            cursor.execute("DROP INDEX audit_entry_customers")
            statements = pg_triggers(OLD)
        for sql in statements:
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0021_access_reviews")]

    operations = [
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(
                condition=models.Q(
                    ("action__in", ("customer.view", "customer.reveal", "customer.contact_change"))
                ),
                fields=["actor_id", "created_at"],
                name="audit_counted_time",
            ),
        ),
        migrations.RunPython(carry, carry_back),
        # Dropping the table drops its triggers too (the DELETE fires none).
        migrations.DeleteModel(name="AuditEntryCustomer"),
    ]
