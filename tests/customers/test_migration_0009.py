"""customers 0009 moves existing customers' values from eleven columns into one record,
and back: nothing may be lost either way."""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from customers.models import PERSONAL_FIELDS, Customer
from tests.customers.vault import HANAKO
from tests.reads import checking
from vault.encryption import key_id_of

# A migration round trip: seconds each.
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def reading_freely():
    """These tests check the cipher itself, not who reads: every decryption is allowed."""
    with checking():
        yield


BEFORE = ("customers", "0008_provision_basis_from_policy")
AFTER = ("customers", "0009_sealed_customer_record")
VALUES = HANAKO  # every personal field set


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def columns():
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(
            cursor, Customer._meta.db_table
        )
    return {column.name for column in description}


@pytest.mark.django_db(transaction=True)
def test_0009_moves_every_value_into_the_record_and_back():
    old_apps = migrate(BEFORE)
    try:
        OldCustomer = old_apps.get_model("customers", "Customer")
        pks = [uuid.uuid4() for _ in range(3)]
        for number, pk in enumerate(pks):
            OldCustomer.objects.create(id=pk, **{**VALUES, "email": f"c{number}@example.jp"})
        assert set(PERSONAL_FIELDS) <= columns() and "sealed" not in columns()

        migrate(AFTER)

        assert not set(PERSONAL_FIELDS) & columns()
        for number, pk in enumerate(pks):
            # Only the columns 0009 knows: later migrations may add others to the model.
            customer = Customer.objects.only("id", "sealed").get(pk=pk)
            assert key_id_of(Customer.objects.values_list("sealed", flat=True).get(pk=pk))
            assert {n: getattr(customer, n) for n in PERSONAL_FIELDS} == {
                **VALUES,
                "email": f"c{number}@example.jp",
            }

        old_apps = migrate(BEFORE)

        OldCustomer = old_apps.get_model("customers", "Customer")
        assert "sealed" not in columns()
        restored = OldCustomer.objects.get(pk=pks[2])
        assert {n: getattr(restored, n) for n in PERSONAL_FIELDS} == {
            **VALUES,
            "email": "c2@example.jp",
        }
    finally:
        MigrationExecutor(connection).loader.build_graph()
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
