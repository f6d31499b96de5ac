"""Customers' records are re-sealed in the compact form (vault.encryption's
``COMPACT_RECORD``), which opens about twice as fast as the JSON they were sealed in.

Forwards, each record is opened (either form reads) and sealed again, compact; going
back (``migrate customers 0009``), sealed again as JSON. Both encodings are frozen copies
here, as migrations must not follow the library as it changes. A record that cannot be
decrypted stops the migration with the row named; nothing is written for that batch.
"""

import json

from django.db import migrations
from django.db.models import Value

from vault.encryption import encrypt

BATCH = 500


def compact(record):
    """Format 1: 0x01 | key list length (2 bytes LE) | keys | values, each list joined by
    0xFF, None written as a lone 0xFE. None if a value is not text (then JSON)."""
    values = []
    for value in record.values():
        if value is not None and not isinstance(value, str):
            return None
        values.append(b"\xfe" if value is None else value.encode("utf-8"))
    keys = b"\xff".join(str(key).encode("utf-8") for key in record)
    if not record or len(keys) > 0xFFFF:
        return None
    return b"\x01" + len(keys).to_bytes(2, "little") + keys + b"\xff".join(values)


def as_json(record):
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def reseal(encode):
    def run(apps, schema_editor):
        Customer = apps.get_model("customers", "Customer")
        field = Customer._meta.get_field("sealed")
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
                record = row.sealed  # opens either form, or raises naming the row
                plain = encode(record) or as_json(record)
                # Format version 1, as this migration wrote when it was made
                # (customers 0013 moves the values on to version 2).
                token = encrypt(plain, field.associated_data(row, version=1), version=1)
                # bulk_update reads attributes through the record's descriptor; an
                # expression is written as it is.
                row.__dict__["sealed"] = Value(token, output_field=field)
            manager.bulk_update(rows, ["sealed"])
            last_pk = rows[-1].pk

    return run


class Migration(migrations.Migration):

    dependencies = [("customers", "0009_sealed_customer_record")]

    operations = [migrations.RunPython(reseal(compact), reseal(as_json))]
