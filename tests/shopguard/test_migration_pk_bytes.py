"""shopguard 0005 moves every stored value to format version 2 (the pk's
16 bytes in the associated data) and back to version 1: nothing is lost either way, each
value keeps its key, and a value that cannot be decrypted stops the step by its row."""

import datetime
import os

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from customers.models import Category, Customer, Purchase
from policy.models import DataRequest
from shopguard import encryption
from tests.reads import checking

BEFORE = [("shopguard", "0004_limit_counter")]
MARKER = "ZZ移行山田花子ZZ"
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


def raw(model, column, pk):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {table} WHERE id = %s",  # noqa: S608
            [pk.hex if connection.vendor == "sqlite" else pk],
        )
        value = cursor.fetchone()[0]
    return value if value is None else bytes(value)


def write_raw(model, column, pk, value):
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} SET {column} = %s WHERE id = %s",  # noqa: S608
            [value, pk.hex if connection.vendor == "sqlite" else pk],
        )


def stored(rows):
    """{(model, column, pk): (format version, key id)} of every stored value."""
    return {
        (model, column, pk): (
            raw(model, column, pk)[0],
            encryption.key_id_of(raw(model, column, pk)),
        )
        for model, pk in rows
        for column in COLUMNS[model]
    }


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

        assert set(stored(rows).values()) == {(1, "kold")}
        assert read(rows) == expected
        # A column added later held the schema's empty default, no ciphertext.
        write_raw(DataRequest, "refusal_reason", request.pk, b"")

        migrate_to_latest()

        found = stored(rows)
        # The empty column is sealed as new (under the current key), the rest moved.
        assert found.pop((DataRequest, "refusal_reason", request.pk)) == (2, "knew")
        assert set(found.values()) == {(2, "kold")}
        assert read(rows) == expected
    finally:
        migrate_to_latest()


@pytest.mark.django_db(transaction=True)
def test_a_damaged_value_stops_the_step_naming_its_row_not_its_value():
    with checking():
        customer = Customer.objects.create(name=MARKER, email="hanako@example.com")
    try:
        migrate(BEFORE)
        token = raw(Customer, "sealed", customer.pk)
        write_raw(Customer, "sealed", customer.pk, token[:-1] + bytes([token[-1] ^ 1]))

        with pytest.raises(RuntimeError) as refused:
            migrate([("shopguard", "0005_encryption_format_2")])

        message = str(refused.value)
        assert "customers_customer.sealed" in message and str(customer.pk) in message
        assert MARKER not in message and "hanako" not in message
        write_raw(Customer, "sealed", customer.pk, token)
    finally:
        migrate_to_latest()
