"""Stored values move to format version 2 of shopguard.encryption: the associated data
binds each value to its row by the primary key's 16 bytes instead of its text, so reading
a customer no longer formats a UUID (that cost as much as the AES-GCM decryption). One
step for every encrypted column of the project: customers, purchases, data requests.

Forwards, each version 1 value is decrypted and sealed again as version 2 under the same
key, with a fresh nonce; backwards (``migrate shopguard 0004``) the same the other way.
Both versions are read, so a run stopped half-way leaves every value readable. An empty
column (a column added later got the schema's empty default, no ciphertext, which could
not be read) is sealed as the empty text it stands for, both ways. A value
that cannot be decrypted stops the migration, naming table, column and row (never the
value). The steps are a frozen copy here, as migrations must not follow the library.
"""

from django.db import migrations

from shopguard.encryption import DecryptionError, decrypt, encrypt

BATCH = 1000
COLUMNS = {
    ("customers", "customer"): ["sealed"],
    ("customers", "purchase"): ["product_name"],
    ("policy", "datarequest"): ["name", "email", "phone", "details", "note", "refusal_reason"],
}


def row_part(pk, version):
    """The row's part of the associated data: text in version 1, 16 bytes in version 2."""
    return str(pk).encode() if version == 1 else pk.bytes


def reseal(version):
    def run(apps, schema_editor):
        connection = schema_editor.connection
        quote = connection.ops.quote_name
        for (app_label, model_name), names in COLUMNS.items():
            model = apps.get_model(app_label, model_name)
            table, pk_field = model._meta.db_table, model._meta.pk
            for name in names:
                bound = f"{model._meta.label_lower}:{name}:".encode()
                update = (
                    f"UPDATE {quote(table)} SET {quote(name)} = %s "  # noqa: S608
                    f"WHERE {quote(pk_field.column)} = %s"
                )
                rows = model._base_manager.using(connection.alias).order_by("pk")
                last = None
                while True:
                    batch = rows if last is None else rows.filter(pk__gt=last)
                    batch = list(batch.values_list("pk", name)[:BATCH])
                    if not batch:
                        break
                    changed = []
                    for pk, token in batch:
                        if token is None or bytes(token)[:1] == bytes((version,)):
                            continue
                        token = bytes(token)
                        if not token:
                            # A column added with the schema's empty default holds no
                            # ciphertext: it is sealed as the empty text it stands for.
                            new = encrypt(b"", bound + row_part(pk, version), version=version)
                            changed.append((new, pk_field.get_db_prep_value(pk, connection)))
                            continue
                        try:
                            plain = decrypt(token, bound + row_part(pk, token[0]))
                        except DecryptionError as error:
                            raise RuntimeError(
                                f"{table}.{name} of row {pk} cannot be decrypted: {error}"
                            ) from None
                        key_id = token[2 : 2 + token[1]].decode("ascii")
                        new = encrypt(
                            plain, bound + row_part(pk, version), version=version, key_id=key_id
                        )
                        changed.append((new, pk_field.get_db_prep_value(pk, connection)))
                    with connection.cursor() as cursor:
                        cursor.executemany(update, changed)
                    last = batch[-1][0]

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("shopguard", "0004_limit_counter"),
        ("customers", "0012_customer_third_party_stop"),
        ("policy", "0007_disclosure_link"),
    ]

    operations = [migrations.RunPython(reseal(2), reseal(1))]
