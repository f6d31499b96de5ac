# ruff: noqa: S608, S611 (the SQL is built from constants only; values go as parameters)
"""Which entries name a customer: "who looked", the data requests' "who saw", the
ledger's customer filter, verification and purging all go through this module.

An entry's ``customer_ids`` (canonical JSON, covered by the chain) is the evidence; what
is kept beside it only finds entries by customer, and is laid out per database because
the compact form differs (issue #26: at most 5 MB of ledger per 1,000 customer-list
pages, 50 customers each):

- PostgreSQL: nothing beside the entry. A GIN index over the entry's own ids
  (``(customer_ids::jsonb) jsonb_path_ops``, ``audit_entry_customers``) answers "which
  entries name X" at a few bytes a customer. Being computed by the database from the
  chained column, it cannot disagree with it; ``verify_audit`` has no rows to compare.
- SQLite (no such index): a key per customer id (``audit_customerkey``, one row per
  customer ever named) and one appearance per (entry, customer key) in a WITHOUT ROWID
  table (``audit_appearance``: primary key ``(entry_id, customer_key)``, for
  verification and purging, and the index ``(customer_key, entry_id)`` for who looked):
  about 30 bytes an appearance instead of 150. ``verify_audit`` compares each entry's
  appearances with its ``customer_ids``. Both tables are append-only (triggers).

The distinct-customers alert (``audit.alerts``) reads the person's counted entries of
the last hour themselves (a partial index ``audit_counted_time``), on both databases.
"""

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

KEY_TABLE = "audit_customerkey"
APPEARANCE_TABLE = "audit_appearance"
GIN_INDEX = "audit_entry_customers"

# The SQLite layout, as created by migration 0022 (which keeps its own copy).
SQLITE_TABLES = [
    f"CREATE TABLE IF NOT EXISTS {KEY_TABLE} "
    "(id integer NOT NULL PRIMARY KEY, customer_id text NOT NULL UNIQUE)",
    f"CREATE TABLE IF NOT EXISTS {APPEARANCE_TABLE} (entry_id integer NOT NULL, "
    "customer_key integer NOT NULL, PRIMARY KEY (entry_id, customer_key)) WITHOUT ROWID",
    f"CREATE INDEX IF NOT EXISTS audit_appearance_customer "
    f"ON {APPEARANCE_TABLE} (customer_key, entry_id)",
]
POSTGRESQL_INDEX = (
    f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON audit_auditentry "
    "USING gin ((customer_ids::jsonb) jsonb_path_ops)"
)

_ADD_KEYS = f"INSERT OR IGNORE INTO {KEY_TABLE} (customer_id) SELECT value FROM json_each(%s)"
_ADD_APPEARANCES = (
    f"INSERT OR IGNORE INTO {APPEARANCE_TABLE} (entry_id, customer_key) "
    f"SELECT %s, k.id FROM json_each(%s) j JOIN {KEY_TABLE} k ON k.customer_id = j.value"
)


def stores_rows(vendor=None):
    """Whether this database keeps appearance rows beside the entries (SQLite)."""
    return (vendor or connection.vendor) == "sqlite"


def write(cursor, entry_id, customer_ids_json):
    """Record that entry ``entry_id`` names the customers of ``customer_ids_json`` (its
    canonical JSON text), in the entry's own transaction. Nothing to do on PostgreSQL."""
    if stores_rows(cursor.db.vendor) and customer_ids_json != "[]":
        cursor.execute(_ADD_KEYS, [customer_ids_json])
        cursor.execute(_ADD_APPEARANCES, [entry_id, customer_ids_json])


def write_many(cursor, rows):
    """``write`` for many ``(entry_id, customer_ids_json)`` (bulk-written ledgers)."""
    if not stores_rows(cursor.db.vendor):
        return
    rows = [row for row in rows if row[1] != "[]"]
    if rows:
        cursor.executemany(_ADD_KEYS, [[ids] for _entry, ids in rows])
        cursor.executemany(_ADD_APPEARANCES, rows)


def naming(customer_id):
    """A filter for ``AuditEntry`` querysets: the entries that name ``customer_id``."""
    if stores_rows():
        return Q(
            pk__in=RawSQL(
                f"SELECT a.entry_id FROM {APPEARANCE_TABLE} a "
                f"WHERE a.customer_key = (SELECT id FROM {KEY_TABLE} WHERE customer_id = %s)",
                [str(customer_id)],
            )
        )
    return Q(
        RawSQL(
            "(audit_auditentry.customer_ids)::jsonb @> jsonb_build_array(%s::text)",
            [str(customer_id)],
            output_field=BooleanField(),
        )
    )


def customers_in_sql(vendor, alias="e"):
    """A FROM item giving one row per customer id of entry ``alias`` (column ``value``)."""
    if vendor == "sqlite":
        return f"json_each({alias}.customer_ids) AS j"
    return f"json_array_elements_text(({alias}.customer_ids)::json) AS j(value)"


def verify_column(vendor, table, where):
    """For ``verify_audit`` (``audit.chain.canonical_sql``): a column that the database
    makes NULL for an entry naming nobody that has no appearance (and always on
    PostgreSQL, which keeps none), '' for an entry naming one customer that has exactly
    that one appearance, and otherwise the appearances' customer ids as a JSON array,
    which ``audit.chain`` compares with the entry's ids as sets (a key that names no
    customer reads as null, never a match); and the join it needs (``where`` limits a
    range). The scan counts the customers each entry names (NULL 0, '' 1), so that
    ``verify_audit`` need not read the table again for rows of no entry
    (``count_sql``)."""
    if vendor != "sqlite":
        return "NULL", ""
    # In the database only what it answers quickly: an entry naming nobody must have no
    # appearance, an entry naming one customer exactly one, of that customer. A list
    # page's 50 are compared in Python: sorting both sides in SQL cost four times as
    # much (issue #26: verify_audit at 150,000 entries a second).
    found = (
        f"(SELECT json_group_array(k.customer_id) FROM {APPEARANCE_TABLE} a "
        f"LEFT JOIN {KEY_TABLE} k ON k.id = a.customer_key WHERE a.entry_id = e.id)"
    )
    column = (
        "CASE json_array_length(e.customer_ids) "
        f"WHEN 0 THEN (SELECT {found} WHERE EXISTS "
        f"(SELECT 1 FROM {APPEARANCE_TABLE} a WHERE a.entry_id = e.id)) "
        "WHEN 1 THEN CASE WHEN (SELECT count(*) = 1 AND "
        "min(k.customer_id) = json_extract(e.customer_ids, '$[0]') "
        f"FROM {APPEARANCE_TABLE} a LEFT JOIN {KEY_TABLE} k ON k.id = a.customer_key "
        f"WHERE a.entry_id = e.id) THEN '' ELSE {found} END "
        f"ELSE {found} END"
    )
    return column, ""


def count_sql():
    """How many appearance rows there are (NULL on PostgreSQL, which keeps none)."""
    if not stores_rows():
        return "SELECT NULL"
    return f"SELECT count(*) FROM {APPEARANCE_TABLE}"


def stray_sql(table="audit_auditentry"):
    """The lowest entry id that appearance rows name but the ledger does not hold
    (always NULL on PostgreSQL, which keeps none)."""
    if not stores_rows():
        return "SELECT NULL"
    return (
        f"SELECT MIN(a.entry_id) FROM {APPEARANCE_TABLE} a "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} e WHERE e.id = a.entry_id)"
    )


def delete_for(cursor, entries_sql, params=()):
    """Delete the appearances of the entries whose ids ``entries_sql`` selects (purging:
    inside the purge permit). Customer keys stay: other entries may use them."""
    if stores_rows(cursor.db.vendor):
        cursor.execute(
            f"DELETE FROM {APPEARANCE_TABLE} WHERE entry_id IN ({entries_sql})", list(params)
        )


def clear(cursor):
    """Delete every appearance and key (a test copy's emptied ledger; triggers lifted)."""
    if stores_rows(cursor.db.vendor):
        cursor.execute(f"DELETE FROM {APPEARANCE_TABLE}")
        cursor.execute(f"DELETE FROM {KEY_TABLE}")
