"""customers 0010 re-seals customers' records in the compact form, and back as JSON:
nothing may be lost either way, and both forms open."""

import json
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from customers.models import PERSONAL_FIELDS, Customer
from tests.customers.vault import HANAKO
from vault import encryption

# A migration round trip: seconds each.
pytestmark = pytest.mark.slow

BEFORE = ("customers", "0009_sealed_customer_record")
AFTER = ("customers", "0010_compact_customer_records")
# Every personal field set, one empty, and a key of a field the model no longer has.
RECORD = {**HANAKO, "card_exp": "", "retired_field": "kept"}


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def stored_plaintext(pk):
    token = bytes(Customer.objects.values_list("sealed", flat=True).get(pk=pk))
    field = Customer._meta.get_field("sealed")
    assert token[0] == 1  # 0010 writes format version 1, as it did when it was made
    return encryption.decrypt(token, field.associated_data(Customer(id=pk), version=1))


def values_of(pk):
    # Only the columns 0010 knows: later migrations may add others to the model.
    customer = Customer.objects.only("id", "sealed").get(pk=pk)
    return {name: getattr(customer, name) for name in PERSONAL_FIELDS}


@pytest.mark.django_db(transaction=True)
def test_0010_reseals_every_record_compact_and_back_as_json(test_reads):
    old_apps = migrate(BEFORE)
    try:
        OldCustomer = old_apps.get_model("customers", "Customer")
        field = OldCustomer._meta.get_field("sealed")
        pks = [uuid.uuid4() for _ in range(3)]
        for number, pk in enumerate(pks):
            record = {**RECORD, "email": f"c{number}@example.jp"}
            plain = json.dumps(record, ensure_ascii=False).encode()
            token = encryption.encrypt(
                plain, field.associated_data(OldCustomer(id=pk), version=1), version=1
            )
            OldCustomer.objects.bulk_create([OldCustomer(id=pk, sealed=token)])
        expected = {
            pk: {n: {**RECORD, "email": f"c{i}@example.jp"}[n] for n in PERSONAL_FIELDS}
            for i, pk in enumerate(pks)
        }

        migrate(AFTER)

        for pk in pks:
            plain = stored_plaintext(pk)
            assert plain[:1] == encryption.COMPACT_RECORD
            assert encryption.decode_compact_record(plain)["retired_field"] == "kept"
            assert values_of(pk) == expected[pk]

        migrate(BEFORE)

        for pk in pks:
            plain = stored_plaintext(pk)
            assert json.loads(plain)["retired_field"] == "kept"
            assert values_of(pk) == expected[pk]
    finally:
        MigrationExecutor(connection).loader.build_graph()
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
