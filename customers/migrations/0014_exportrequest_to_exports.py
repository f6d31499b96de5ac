# ExportRequest becomes a model of the exports app (exports 0001 takes it over, with its
# table and rows): here it only leaves this app's state; the database is not touched.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [("customers", "0013_encryption_format_2")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ExportRequest")],
            database_operations=[],
        ),
    ]
