# TrackedSession's table is named for its app at last (it kept the name the project
# package gave it): a rename, every row kept.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.AlterModelTable(name="trackedsession", table=None)]
