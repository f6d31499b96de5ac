# TrackedSession moved to the accounts app. Its table stays where it is: this migration
# only removes the model from this app's state; accounts 0001 takes it over.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('shopguard', '0002_tracked_session'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='TrackedSession')],
            database_operations=[],
        ),
    ]
