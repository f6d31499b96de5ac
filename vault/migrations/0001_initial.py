# LimitCounter, the limits' one table. It was first made by the project package's
# migrations (shopguard 0004) as shopguard_limitcounter; a database made before this
# layout has that table, and its rows (lockouts and quotas still counting) move here.
# The SQL is frozen here, not imported.

from django.core.management.color import no_style
from django.db import migrations, models

OLD_TABLE = "shopguard_limitcounter"
COLUMNS = '"id", "limit", "key", "uses", "last_use"'


def take_over(apps, schema_editor):
    model = apps.get_model("vault", "LimitCounter")
    connection = schema_editor.connection
    schema_editor.create_model(model)
    if OLD_TABLE not in connection.introspection.table_names():
        return
    new = connection.ops.quote_name(model._meta.db_table)
    schema_editor.execute(f"INSERT INTO {new} ({COLUMNS}) SELECT {COLUMNS} FROM {OLD_TABLE}")
    schema_editor.execute(f"DROP TABLE {OLD_TABLE}")
    if connection.vendor == "postgresql":
        for statement in connection.ops.sequence_reset_sql(no_style(), [model]):
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    schema_editor.delete_model(apps.get_model("vault", "LimitCounter"))


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='LimitCounter',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('limit', models.CharField(max_length=40)),
                        ('key', models.CharField(max_length=200)),
                        ('uses', models.JSONField(default=list)),
                        ('last_use', models.DateTimeField(null=True)),
                    ],
                    options={
                        'indexes': [models.Index(fields=['limit', 'last_use'], name='vault_limit_last_use')],
                        'constraints': [models.UniqueConstraint(fields=('limit', 'key'), name='vault_limit_key_unique')],
                    },
                ),
            ],
        ),
        migrations.RunPython(take_over, drop),
    ]
