# Customers' own requests (DataRequest and DisclosureLink) become their own app's:
# datarequests 0001 takes them over with their tables and rows. Here they only leave
# this app's state; the database is not touched.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [("policy", "0007_disclosure_link")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="disclosurelink", name="data_request"),
                migrations.DeleteModel(name="DataRequest"),
                migrations.DeleteModel(name="DisclosureLink"),
            ],
            database_operations=[],
        ),
    ]
