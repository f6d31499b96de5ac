import base64
import datetime
import json
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import FieldError
from django.db import connection

from customers.models import Category, Customer, Purchase
from shopguard import encryption
from shopguard.encryption import DecryptionError, EncryptedDateField, EncryptedJSONField
from shopguard.keys import new_field_key, parse_field_keys

MARKER = "ZZmarker山田花子ZZ"


def raw_column(model, field, pk):
    table = model._meta.db_table
    column = model._meta.get_field(field).column
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {table} WHERE id = %s",
            [pk.hex if connection.vendor == "sqlite" else pk],
        )
        value = cursor.fetchone()[0]
    return value if value is None else bytes(value)  # some drivers give memoryview


@pytest.fixture
def customer(db):
    return Customer.objects.create(name=MARKER, email="hanako@example.com", phone="090-1234-5678")


def test_it_stores_ciphertext_and_reads_plaintext(customer):
    stored = raw_column(Customer, "name", customer.pk)
    assert MARKER.encode() not in stored
    assert encryption.key_id_of(stored) == encryption.current_key_id()
    assert Customer.objects.get(pk=customer.pk).name == MARKER


def test_it_round_trips_empty_strings(customer):
    stored = raw_column(Customer, "address", customer.pk)
    assert encryption.key_id_of(stored) == encryption.current_key_id()
    assert Customer.objects.get(pk=customer.pk).address == ""


def test_it_fails_loudly_with_a_wrong_key(customer, settings):
    settings.FIELD_ENCRYPTION_KEYS = parse_field_keys(new_field_key())
    fresh = Customer.objects.get(pk=customer.pk)
    with pytest.raises(DecryptionError) as error:
        fresh.name  # noqa: B018
    message = str(error.value)
    assert "customers.Customer.name" in message and str(customer.pk) in message
    assert MARKER not in message


def test_it_refuses_ciphertext_copied_to_another_row(customer):
    other = Customer.objects.create(name="other")
    stolen = raw_column(Customer, "name", customer.pk)
    Customer.objects.filter(pk=other.pk).update(name=stolen)
    with pytest.raises(DecryptionError):
        Customer.objects.get(pk=other.pk).name  # noqa: B018


def test_it_refuses_ciphertext_copied_to_another_column(customer):
    stolen = raw_column(Customer, "name", customer.pk)
    Customer.objects.filter(pk=customer.pk).update(address=stolen)
    with pytest.raises(DecryptionError):
        Customer.objects.get(pk=customer.pk).address  # noqa: B018


def test_it_never_saves_an_undecryptable_value_back(customer, settings):
    before = raw_column(Customer, "name", customer.pk)
    settings.FIELD_ENCRYPTION_KEYS = parse_field_keys(new_field_key())
    fresh = Customer.objects.get(pk=customer.pk)
    with pytest.raises(DecryptionError):
        fresh.save()  # blind indexes need the plaintext, so the save stops
    assert raw_column(Customer, "name", customer.pk) == before


def test_old_keys_still_decrypt_after_a_new_key_is_added(customer, settings):
    old = settings.FIELD_ENCRYPTION_KEYS
    settings.FIELD_ENCRYPTION_KEYS = {**parse_field_keys(new_field_key()), **old}
    assert Customer.objects.get(pk=customer.pk).name == MARKER


def test_it_refuses_lookups_other_than_isnull(customer):
    with pytest.raises(FieldError, match="blind index"):
        list(Customer.objects.filter(email="hanako@example.com"))
    with pytest.raises(FieldError):
        list(Customer.objects.filter(name__icontains="山田"))
    assert Customer.objects.filter(name__isnull=False).count() == 1


def test_it_refuses_plaintext_in_queryset_update(customer):
    with pytest.raises(FieldError, match="encrypted"):
        Customer.objects.filter(pk=customer.pk).update(name="plain")


def test_it_preserves_dates_and_json_types(db):
    date_field = EncryptedDateField()
    json_field = EncryptedJSONField()
    value = {"a": [1, 2.5, True, None, "文字"]}
    assert date_field.from_bytes(date_field.to_bytes(datetime.date(2026, 1, 2))) == datetime.date(
        2026, 1, 2
    )
    assert json_field.from_bytes(json_field.to_bytes(value)) == value
    assert json.loads(json_field.to_bytes(value)) == value


def test_it_encrypts_purchase_product_names(customer):
    purchase = Purchase.objects.create(
        customer=customer,
        product_name=MARKER,
        category=Category.objects.get(code="medicine"),
        amount=1200,
        purchased_on=datetime.date(2026, 11, 1),
    )
    assert MARKER.encode() not in raw_column(Purchase, "product_name", purchase.pk)
    assert Purchase.objects.get(pk=purchase.pk).product_name == MARKER


def test_deferred_fields_load_and_decrypt(customer):
    fresh = Customer.objects.only("id").get(pk=customer.pk)
    assert fresh.name == MARKER


def test_values_stored_in_the_first_text_format_are_rewritten_as_binary(customer):
    # Databases created before the binary format held gcm1:<key id>:<base64url> text.
    token = raw_column(Customer, "name", customer.pk)
    key_id = encryption.key_id_of(token)
    body = base64.urlsafe_b64encode(token[2 + token[1] :]).decode()
    table = Customer._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN name TYPE text USING ''")
        cursor.execute(
            f"UPDATE {table} SET name = %s WHERE id = %s",  # noqa: S608
            [
                f"gcm1:{key_id}:{body}",
                customer.pk.hex if connection.vendor == "sqlite" else customer.pk,
            ],
        )
    editor = SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)
    encryption.binary_columns_for("customers")(django_apps, editor)
    assert raw_column(Customer, "name", customer.pk) == token
    assert Customer.objects.get(pk=customer.pk).name == MARKER
