import base64
import datetime
import json
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import FieldError
from django.db import connection

from customers.models import Category, Customer, Purchase
from datarequests.models import DataRequest
from tests.reads import checking
from vault import encryption
from vault.encryption import DecryptionError, EncryptedDateField, EncryptedJSONField
from vault.keys import new_field_key, parse_field_keys


@pytest.fixture(autouse=True)
def reading_freely():
    """These tests check the cipher itself, not who reads: every decryption is allowed."""
    with checking():
        yield


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


@pytest.fixture
def data_request(db):
    # A model with one encrypted column per field (no record).
    return DataRequest.objects.create(kind="disclose", name=MARKER, email="hanako@example.com")


def test_it_stores_ciphertext_and_reads_plaintext(customer, data_request):
    for model, column, row in ((Customer, "sealed", customer), (DataRequest, "name", data_request)):
        stored = raw_column(model, column, row.pk)
        assert MARKER.encode() not in stored
        assert encryption.key_id_of(stored) == encryption.current_key_id()
    assert Customer.objects.get(pk=customer.pk).name == MARKER
    assert DataRequest.objects.get(pk=data_request.pk).name == MARKER


def test_it_round_trips_empty_strings(customer, data_request):
    stored = raw_column(DataRequest, "note", data_request.pk)
    assert encryption.key_id_of(stored) == encryption.current_key_id()
    assert DataRequest.objects.get(pk=data_request.pk).note == ""
    assert Customer.objects.get(pk=customer.pk).address == ""


@pytest.mark.parametrize("model, member", [(Customer, "name"), (DataRequest, "name")])
def test_it_fails_loudly_with_a_wrong_key(customer, data_request, settings, model, member):
    row = customer if model is Customer else data_request
    column = model._meta.get_field(member).record or member
    settings.FIELD_ENCRYPTION_KEYS = parse_field_keys(new_field_key())
    fresh = model.objects.get(pk=row.pk)
    with pytest.raises(DecryptionError) as error:
        getattr(fresh, member)
    message = str(error.value)
    assert f"{model._meta.label}.{column}" in message and str(row.pk) in message
    assert MARKER not in message


def test_it_refuses_ciphertext_copied_to_another_row(customer, data_request):
    other = Customer.objects.create(name="other")
    stolen = raw_column(Customer, "sealed", customer.pk)
    Customer.objects.filter(pk=other.pk).update(sealed=stolen)
    with pytest.raises(DecryptionError):
        Customer.objects.get(pk=other.pk).name  # noqa: B018
    other_request = DataRequest.objects.create(kind="delete", name="other", email="o@example.com")
    stolen = raw_column(DataRequest, "name", data_request.pk)
    DataRequest.objects.filter(pk=other_request.pk).update(name=stolen)
    with pytest.raises(DecryptionError):
        DataRequest.objects.get(pk=other_request.pk).name  # noqa: B018


def test_it_refuses_ciphertext_copied_to_another_column(customer, data_request):
    stolen = raw_column(DataRequest, "name", data_request.pk)
    DataRequest.objects.filter(pk=data_request.pk).update(details=stolen)
    with pytest.raises(DecryptionError):
        DataRequest.objects.get(pk=data_request.pk).details  # noqa: B018
    # A customer's record moved into a one-value column (or back) fails too.
    purchase = Purchase.objects.create(
        id=customer.pk,  # even the same row id does not help: model and column differ
        customer=customer,
        product_name="item",
        category=Category.objects.get(code="food"),
        amount=100,
        purchased_on=datetime.date(2026, 11, 1),
    )
    Purchase.objects.filter(pk=purchase.pk).update(
        product_name=raw_column(Customer, "sealed", customer.pk)
    )
    with pytest.raises(DecryptionError):
        Purchase.objects.get(pk=purchase.pk).product_name  # noqa: B018


def test_it_never_saves_an_undecryptable_value_back(customer, settings):
    before = raw_column(Customer, "sealed", customer.pk)
    settings.FIELD_ENCRYPTION_KEYS = parse_field_keys(new_field_key())
    fresh = Customer.objects.get(pk=customer.pk)
    fresh.name = "新しい 名前"
    with pytest.raises(DecryptionError):
        fresh.save()  # a member changes: its record must be opened, so the save stops
    assert raw_column(Customer, "sealed", customer.pk) == before
    # Saving values neither read nor set decrypts nothing (saving is not a read, and the
    # change recorder compares only what was set) and keeps the bytes as they are.
    untouched = Customer.objects.get(pk=customer.pk)
    untouched.save()
    untouched.save(update_fields=["anonymised_at"])
    assert raw_column(Customer, "sealed", customer.pk) == before


def test_old_keys_still_decrypt_after_a_new_key_is_added(customer, settings):
    old = settings.FIELD_ENCRYPTION_KEYS
    settings.FIELD_ENCRYPTION_KEYS = {**parse_field_keys(new_field_key()), **old}
    assert Customer.objects.get(pk=customer.pk).name == MARKER


def test_it_refuses_lookups_other_than_isnull(customer, data_request):
    with pytest.raises(FieldError, match="blind index"):
        list(Customer.objects.filter(email="hanako@example.com"))
    with pytest.raises(FieldError):
        list(Customer.objects.filter(name__icontains="山田"))
    with pytest.raises(FieldError, match="blind index"):
        list(DataRequest.objects.filter(email="hanako@example.com"))
    assert DataRequest.objects.filter(name__isnull=False).count() == 1
    assert Customer.objects.filter(sealed__isnull=False).count() == 1


def test_members_of_a_record_cannot_be_used_in_sql(customer):
    # A member has no column: even isnull, ordering and values() say so instead of failing
    # somewhere in the SQL.
    for attempt in (
        lambda: Customer.objects.filter(name__isnull=False),
        lambda: Customer.objects.order_by("email"),
    ):
        with pytest.raises(FieldError, match="sealed inside the encrypted record"):
            list(attempt())
    with pytest.raises(FieldError):
        list(Customer.objects.values("phone"))


def test_it_refuses_plaintext_in_queryset_update(customer, data_request):
    with pytest.raises(FieldError, match="encrypted"):
        DataRequest.objects.filter(pk=data_request.pk).update(name="plain")
    with pytest.raises(FieldError, match="encrypted"):
        Customer.objects.filter(pk=customer.pk).update(sealed="plain")
    for value in ("plain", b"bytes"):
        with pytest.raises(FieldError, match="write it with save"):
            Customer.objects.filter(pk=customer.pk).update(name=value)


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
    # Databases created before the binary format held gcm1:<key id>:<base64url> text, of
    # format version 1 (the pk as text in the associated data).
    record = Customer._meta.get_field("sealed")
    plain = encryption.decrypt(
        raw_column(Customer, "sealed", customer.pk), record.associated_data(customer)
    )
    token = encryption.encrypt(plain, record.associated_data(customer, version=1), version=1)
    key_id = encryption.key_id_of(token)
    body = base64.urlsafe_b64encode(token[2 + token[1] :]).decode()
    table = Customer._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN sealed TYPE text USING ''")
        cursor.execute(
            f"UPDATE {table} SET sealed = %s WHERE id = %s",  # noqa: S608
            [
                f"gcm1:{key_id}:{body}",
                customer.pk.hex if connection.vendor == "sqlite" else customer.pk,
            ],
        )
    editor = SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)
    encryption.binary_columns_for("customers")(django_apps, editor)
    assert raw_column(Customer, "sealed", customer.pk) == token
    assert Customer.objects.get(pk=customer.pk).name == MARKER


def a_purchase(customer):
    return Purchase.objects.create(
        customer=customer,
        product_name=MARKER,
        category=Category.objects.get(code="food"),
        amount=100,
        purchased_on=datetime.date(2026, 11, 1),
    )


COPIED_VALUES = {
    Purchase: ("product_name",),
    DataRequest: ("name", "email", "phone", "details", "note"),
    Customer: ("name", "email", "phone"),
}


@pytest.mark.parametrize("model", [Purchase, DataRequest, Customer], ids=lambda m: m.__name__)
@pytest.mark.parametrize("new_pk", ["none", "uuid"])
@pytest.mark.parametrize("read_first", [False, True], ids=["unread", "read"])
def test_a_row_saved_under_a_new_pk_is_sealed_for_its_new_row(
    customer, data_request, model, new_pk, read_first
):
    import uuid

    original = {Purchase: lambda: a_purchase(customer), DataRequest: lambda: data_request}.get(
        model, lambda: customer
    )()
    fields = COPIED_VALUES[model]
    expected = {name: getattr(model.objects.get(pk=original.pk), name) for name in fields}
    copy = model.objects.get(pk=original.pk)
    if read_first:
        getattr(copy, fields[0])
    copy.pk = None if new_pk == "none" else uuid.uuid4()
    if model is DataRequest:
        copy.reference = ""  # unique: the copy takes a reference of its own
    copy.save()

    assert copy.pk != original.pk
    again = model.objects.get(pk=copy.pk)
    assert {name: getattr(again, name) for name in fields} == expected
    assert {name: getattr(copy, name) for name in fields} == expected
    # The original row keeps its own values, and the two rows do not share ciphertext.
    first = model.objects.get(pk=original.pk)
    assert {name: getattr(first, name) for name in fields} == expected
    column = "sealed" if model is Customer else fields[0]
    assert raw_column(model, column, copy.pk) != raw_column(model, column, original.pk)


def test_a_value_copied_in_from_another_loaded_row_still_fails(customer, data_request):
    other = DataRequest.objects.create(kind="delete", name="other", email="o@example.com")
    target = DataRequest.objects.get(pk=other.pk)
    target.name = raw_column(DataRequest, "name", data_request.pk)
    with pytest.raises(DecryptionError):
        target.name  # noqa: B018


def test_a_value_of_an_unknown_format_version_is_refused_by_name(customer):
    token = raw_column(Customer, "sealed", customer.pk)
    Customer.objects.filter(pk=customer.pk).update(sealed=bytes([9]) + token[1:])
    with pytest.raises(DecryptionError) as error:
        Customer.objects.get(pk=customer.pk).name
    assert "unknown format version 9" in str(error.value)
    assert encryption.key_id_of(bytes([9]) + token[1:]) is None
