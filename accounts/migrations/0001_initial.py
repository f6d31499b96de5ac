# The role groups and TrackedSession. Both were first made by migrations of the project
# package (shopguard 0001 and 0002), which no longer has any: a database made before
# this layout already has the groups and the table (and, from the release that moved
# TrackedSession here, this migration recorded as applied), so each step below only
# makes what is missing. The table keeps its first name here; 0002 renames it.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

ROLES = ("owner", "manager", "staff", "auditor")


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.using(schema_editor.connection.alias).get_or_create(name=name)


def create_session_table(apps, schema_editor):
    model = apps.get_model("accounts", "TrackedSession")
    if model._meta.db_table not in schema_editor.connection.introspection.table_names():
        schema_editor.create_model(model)


def drop_session_table(apps, schema_editor):
    schema_editor.delete_model(apps.get_model("accounts", "TrackedSession"))


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(create_groups, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='TrackedSession',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('session_key', models.CharField(max_length=40, unique=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tracked_sessions', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'セッション',
                        'verbose_name_plural': 'セッション',
                        'db_table': 'shopguard_trackedsession',
                    },
                ),
            ],
        ),
        migrations.RunPython(create_session_table, drop_session_table),
    ]
