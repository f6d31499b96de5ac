"""customers 0013 moves customers' and purchases' stored values to format version 2 (the
pk's 16 bytes in the associated data) and back to version 1; datarequests 0001 seals
every data request's values for the app's new name and back. Nothing is lost either way,
each value keeps its key, and a value that cannot be decrypted stops the step by its
row."""

import datetime
import os

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from customers.models import Category, Customer, Purchase
from datarequests.models import DataRequest
from tests.reads import checking
from vault import encryption

# A migration round trip: seconds each.
pytestmark = pytest.mark.slow

BEFORE = [("customers", "0012_customer_third_party_stop"), ("policy", "0007_disclosure_link")]
# Where the data requests lived before datarequests 0001, and what their values were bound to.
OLD_TABLE, OLD_LABEL = "policy_datarequest", b"policy.datarequest"
MARKER = "ZZ移行山田花子ZZ"
# Columns later migrations add (the old layout has none of them): left out of its reads.
ADDED_SINCE = {
    Customer: ["external_id", "name_kana_index"],
    Purchase: ["external_ref"],
}
COLUMNS = {
    Customer: ["sealed"],
    Purchase: ["product_name"],
    DataRequest: ["name", "email", "phone", "details", "note", "refusal_reason"],
}


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def migrate_to_latest():
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())


def table_of(model, before=False):
    return OLD_TABLE if before and model is DataRequest else model._meta.db_table


def raw(model, column, pk, before=False):
    table = table_of(model, before)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {table} WHERE id = %s",  # noqa: S608
            [pk.hex if connection.vendor == "sqlite" else pk],
        )
        value = cursor.fetchone()[0]
    return value if value is None else bytes(value)


def write_raw(model, column, pk, value, before=False):
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table_of(model, before)} SET {column} = %s WHERE id = %s",  # noqa: S608
            [value, pk.hex if connection.vendor == "sqlite" else pk],
        )


def stored(rows, before=False):
    """{(model, column, pk): (format version, key id)} of every stored value."""
    return {
        (model, column, pk): (
            raw(model, column, pk, before)[0],
            encryption.key_id_of(raw(model, column, pk, before)),
        )
        for model, pk in rows
        for column in COLUMNS[model]
    }


def read_before(rows):
    """The values as the old layout holds them: customers through the models, the data
    request's name from its old table, bound to its old name."""
    with checking():
        customer = Customer.objects.defer(*ADDED_SINCE[Customer]).get(pk=rows[0][1])
        purchase = Purchase.objects.defer(*ADDED_SINCE[Purchase]).get(pk=rows[1][1])
        pk = rows[2][1]
        name = encryption.decrypt(
            raw(DataRequest, "name", pk, before=True), OLD_LABEL + b":name:" + pk.bytes
        )
        return customer.name, customer.email, purchase.product_name, name.decode()


def read(rows):
    with checking():
        customer = Customer.objects.get(pk=rows[0][1])
        purchase = Purchase.objects.get(pk=rows[1][1])
        request = DataRequest.objects.get(pk=rows[2][1])
        return (
            customer.name,
            customer.email,
            purchase.product_name,
            request.name,
            request.details,
            request.refusal_reason,
        )


@pytest.fixture
def two_keys(settings):
    """An older key still configured: values sealed under it must keep it."""
    old = {"kold": os.urandom(32)}
    settings.FIELD_ENCRYPTION_KEYS = old
    return lambda: setattr(settings, "FIELD_ENCRYPTION_KEYS", {"knew": os.urandom(32), **old})


@pytest.mark.django_db(transaction=True)
def test_values_move_to_pk_bytes_and_back_with_nothing_lost(two_keys):
    with checking():
        customer = Customer.objects.create(name=MARKER, email="hanako@example.com")
        purchase = Purchase.objects.create(
            customer=customer,
            product_name=MARKER,
            category=Category.objects.get_or_create(
                code="food", defaults={"name_ja": "食品", "name_en": "Food"}
            )[0],
            amount=100,
            purchased_on=datetime.date(2026, 11, 1),
        )
        request = DataRequest.objects.create(kind="disclose", name=MARKER, email="h@example.com")
    rows = [(Customer, customer.pk), (Purchase, purchase.pk), (DataRequest, request.pk)]
    two_keys()  # a new key arrives: what was sealed stays under the old one
    expected = (MARKER, "hanako@example.com", MARKER, MARKER, "", "")
    try:
        assert set(stored(rows).values()) == {(2, "kold")}

        migrate(BEFORE)

        before = stored(rows, before=True)
        assert {v for (model, *_), v in before.items() if model is not DataRequest} == {(1, "kold")}
        # Data requests keep format version 2, bound to the old name.
        assert {v for (model, *_), v in before.items() if model is DataRequest} == {(2, "kold")}
        assert read_before(rows) == expected[:4]
        # A column added later held the schema's empty default, no ciphertext.
        write_raw(DataRequest, "refusal_reason", request.pk, b"", before=True)

        migrate_to_latest()

        found = stored(rows)
        # The empty column is sealed as new (under the current key), the rest moved.
        assert found.pop((DataRequest, "refusal_reason", request.pk)) == (2, "knew")
        assert set(found.values()) == {(2, "kold")}
        assert read(rows) == expected
    finally:
        migrate_to_latest()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "model, column, step",
    [
        (Customer, "sealed", ("customers", "0013_encryption_format_2")),
        (DataRequest, "name", ("datarequests", "0001_initial")),
    ],
    ids=["customers-0013", "datarequests-0001"],
)
def test_a_damaged_value_stops_the_step_naming_its_row_not_its_value(model, column, step):
    with checking():
        if model is Customer:
            row = Customer.objects.create(name=MARKER, email="hanako@example.com")
        else:
            row = DataRequest.objects.create(kind="disclose", name=MARKER, email="h@example.com")
    try:
        migrate(BEFORE)
        token = raw(model, column, row.pk, before=True)
        damaged = token[:-1] + bytes([token[-1] ^ 1])
        write_raw(model, column, row.pk, damaged, before=True)

        with pytest.raises(RuntimeError) as refused:
            migrate([step])

        message = str(refused.value)
        assert f".{column} of row {row.pk}" in message
        assert MARKER not in message and "hanako" not in message
        write_raw(model, column, row.pk, token, before=True)
    finally:
        migrate_to_latest()
