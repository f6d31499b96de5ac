# django-axes is gone: ShopGuard's own limit (vault.limits.PASSWORD_GUESSES) is the one
# count of sign-in failures. axes' tables go when they exist; nothing is lost, as every
# failed sign-in is in the ledger (auth.sign_in_failed, and auth.lockout for a lockout),
# and every sign-in too (auth.sign_in). The SQL is written out: migrations are frozen
# history.
from django.db import migrations

# Child tables first: the expiration rows point at the attempts.
AXES_TABLES = [
    "axes_accessattemptexpiration",
    "axes_accessattempt",
    "axes_accesslog",
    "axes_accessfailurelog",
]


def drop_axes_tables(apps, schema_editor):
    existing = set(schema_editor.connection.introspection.table_names())
    with schema_editor.connection.cursor() as cursor:
        for table in AXES_TABLES:
            if table in existing:
                cursor.execute(f"DROP TABLE {schema_editor.quote_name(table)}")
        # Installed again one day, axes would create its tables anew.
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["axes"])


class Migration(migrations.Migration):

    dependencies = [("accounts", "0002_trackedsession_table")]

    operations = [migrations.RunPython(drop_axes_tables, migrations.RunPython.noop)]
