"""A customer's eleven personal fields move from eleven encrypted columns into one
encrypted record (``sealed``): one decryption per row instead of eleven.

Each row's values are decrypted from their old columns (bound to model, field and row)
and sealed together under the current key, bound to model, ``sealed`` and row. A value
that cannot be decrypted stops the migration with the model, field and row named; nothing
is written for that batch. Going backwards (``migrate customers 0008``) puts each value
back into a column of its own.
"""

from django.db import migrations
from django.db.models import Value

import vault.encryption

# The columns this migration empties: a frozen copy, as migrations must not follow the
# models as they change later.
PERSONAL_FIELDS = (
    "name",
    "name_kana",
    "gender",
    "postal_code",
    "address",
    "phone",
    "email",
    "card_token",
    "card_brand",
    "card_last4",
    "card_exp",
)
BATCH = 500


def seal_records(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    record = Customer._meta.get_field("sealed")
    manager = Customer._base_manager.using(schema_editor.connection.alias)
    last_pk = None
    while True:
        query = manager.order_by("pk").only("pk", *PERSONAL_FIELDS)
        if last_pk is not None:
            query = query.filter(pk__gt=last_pk)
        rows = list(query[:BATCH])
        if not rows:
            return
        for row in rows:
            values = {name: getattr(row, name) for name in PERSONAL_FIELDS}
            # bulk_update reads attributes through the record's descriptor; an expression
            # is written as it is.
            row.__dict__["sealed"] = Value(record.seal(values, row), output_field=record)
        manager.bulk_update(rows, ["sealed"])
        last_pk = rows[-1].pk


def open_records(apps, schema_editor):
    """Backwards: each personal value into its own column again."""
    Customer = apps.get_model("customers", "Customer")
    fields = [Customer._meta.get_field(name) for name in PERSONAL_FIELDS]
    manager = Customer._base_manager.using(schema_editor.connection.alias)
    last_pk = None
    while True:
        query = manager.order_by("pk").only("pk", "sealed")
        if last_pk is not None:
            query = query.filter(pk__gt=last_pk)
        rows = list(query[:BATCH])
        if not rows:
            return
        for row in rows:
            record = row.sealed
            for field in fields:
                sealed = field.seal(record.get(field.name, ""), row)
                row.__dict__[field.attname] = Value(sealed, output_field=field)
        manager.bulk_update(rows, PERSONAL_FIELDS)
        last_pk = rows[-1].pk


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0008_provision_basis_from_policy"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="sealed",
            field=vault.encryption.EncryptedRecordField(editable=False, null=True),
        ),
        # Nullable in the migration state only, so that going backwards adds the columns
        # to a filled table as nullable (an encrypted column has no usable SQL default);
        # open_records then fills every row. Going forwards the columns are dropped anyway.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="customer",
                    name=name,
                    field=vault.encryption.EncryptedTextField(null=True),
                )
                for name in PERSONAL_FIELDS
            ],
        ),
        migrations.RunPython(seal_records, open_records),
        *(migrations.RemoveField(model_name="customer", name=name) for name in PERSONAL_FIELDS),
        migrations.AlterField(
            model_name="customer",
            name="sealed",
            field=vault.encryption.EncryptedRecordField(editable=False),
        ),
    ]
