"""Customers' and purchases' stored values move to format version 2 of vault.encryption:
the associated data binds each value to its row by the primary key's 16 bytes instead
of its text, so reading a customer no longer formats a UUID (that cost as much as the
AES-GCM decryption).

This step was first the project package's migration ``shopguard 0005`` (for every
encrypted column); it now lives with the tables it rewrites. A database where that
migration already ran holds version 2 values only, and this one leaves every one of them
as it is. Forwards, each version 1 value is decrypted and sealed again as version 2
under the same key, with a fresh nonce; backwards the same the other way. Both versions
are read, so a run stopped half-way leaves every value readable. A value that cannot be
decrypted stops the migration, naming table, column and row (never the value).
"""

from django.db import migrations

from vault.encryption import DecryptionError, decrypt, encrypt

BATCH = 1000
COLUMNS = {"customer": ["sealed"], "purchase": ["product_name"]}


def row_part(pk, version):
    """The row's part of the associated data: text in version 1, 16 bytes in version 2."""
    return str(pk).encode() if version == 1 else pk.bytes


def resealed(token, bound, pk, version):
    """``token`` sealed again as ``version`` under its own key, or None when it already is."""
    if token is None or bytes(token)[:1] == bytes((version,)):
        return None
    token = bytes(token)
    if not token:
        # A column added with the schema's empty default holds no ciphertext: it is
        # sealed as the empty text it stands for.
        return encrypt(b"", bound + row_part(pk, version), version=version)
    plain = decrypt(token, bound + row_part(pk, token[0]))
    key_id = token[2 : 2 + token[1]].decode("ascii")
    return encrypt(plain, bound + row_part(pk, version), version=version, key_id=key_id)


def reseal(version):
    def run(apps, schema_editor):
        connection = schema_editor.connection
        quote = connection.ops.quote_name
        for model_name, names in COLUMNS.items():
            model = apps.get_model("customers", model_name)
            table, pk_field = model._meta.db_table, model._meta.pk
            for name in names:
                bound = f"customers.{model_name}:{name}:".encode()
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
                        try:
                            new = resealed(token, bound, pk, version)
                        except DecryptionError as error:
                            raise RuntimeError(
                                f"{table}.{name} of row {pk} cannot be decrypted: {error}"
                            ) from None
                        if new is not None:
                            changed.append((new, pk_field.get_db_prep_value(pk, connection)))
                    with connection.cursor() as cursor:
                        cursor.executemany(update, changed)
                    last = batch[-1][0]

    return run


class Migration(migrations.Migration):
    dependencies = [("customers", "0012_customer_third_party_stop")]

    operations = [migrations.RunPython(reseal(2), reseal(1))]
