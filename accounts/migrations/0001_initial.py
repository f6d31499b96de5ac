# TrackedSession, taken over from the shopguard app with its table and rows
# (shopguard 0003 gives it up in the same step): state only, no change to the database.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('shopguard', '0003_trackedsession_to_accounts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
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
    ]
