"""EncryptedRecordField: several fields of a row sealed as one value (see vault.encryption).

Customer keeps its eleven personal fields in one record; these tests use it where a database
row is needed, and a model in an isolated app registry for types Customer does not use.
"""

import json
import uuid
from dataclasses import replace
from datetime import date

import pytest
from django.apps.registry import Apps
from django.db import models

from customers.models import PERSONAL_FIELDS, Customer
from tests.customers.vault import HANAKO
from tests.reads import checking
from tests.vault.test_encryption import raw_column
from vault import encryption
from vault.encryption import (
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedRecordField,
    EncryptedTextField,
)


@pytest.fixture(autouse=True)
def reading_freely():
    """These tests check the cipher itself, not who reads: every decryption is allowed."""
    with checking():
        yield


_apps = Apps()


class Card(models.Model):  # noqa: DJ008 - never shown
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    sealed = EncryptedRecordField()
    born = EncryptedDateField(record="sealed", null=True)
    prefs = EncryptedJSONField(record="sealed", default=dict)
    note = EncryptedTextField(record="sealed", blank=True)

    class Meta:
        apps = _apps
        app_label = "shopguard_records"


class Broken(models.Model):  # noqa: DJ008 - never shown
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    note = EncryptedTextField(record="nowhere")

    class Meta:
        apps = _apps
        app_label = "shopguard_records"


VALUES = HANAKO  # every personal field set


@pytest.fixture
def customer(db):
    return Customer.objects.create(**VALUES)


class CountingCipher:
    def __init__(self, cipher):
        self.cipher, self.decryptions = cipher, 0

    def decrypt(self, *args):
        self.decryptions += 1
        return self.cipher.decrypt(*args)

    def encrypt(self, *args):
        return self.cipher.encrypt(*args)


@pytest.fixture
def counting(monkeypatch):
    ring = encryption._keyring()
    counting = {h: CountingCipher(c) for h, c in ring.ciphers.items()}
    monkeypatch.setitem(encryption._keyring_cache, "ring", replace(ring, ciphers=counting))
    return lambda: sum(c.decryptions for c in counting.values())


def test_one_decryption_opens_every_personal_field(customer, counting):
    rows = list(Customer.objects.all())
    assert counting() == 0  # nothing is decrypted until a value is read
    assert {name: getattr(rows[0], name) for name in PERSONAL_FIELDS} == VALUES
    assert counting() == 1


def test_all_personal_fields_live_in_one_column(customer):
    columns = {f.column for f in Customer._meta.concrete_fields}
    assert not columns & set(PERSONAL_FIELDS)
    token = raw_column(Customer, "sealed", customer.pk)
    for value in VALUES.values():
        assert value.encode() not in token


def test_changing_one_field_keeps_the_others(customer):
    loaded = Customer.objects.get(pk=customer.pk)
    loaded.email = "new.address@example.jp"
    loaded.save()
    fresh = Customer.objects.get(pk=customer.pk)
    assert fresh.email == "new.address@example.jp"
    assert {n: getattr(fresh, n) for n in PERSONAL_FIELDS if n != "email"} == {
        n: v for n, v in VALUES.items() if n != "email"
    }


def test_update_fields_may_name_personal_fields(customer):
    loaded = Customer.objects.get(pk=customer.pk)
    loaded.phone = "080-0000-0002"
    loaded.address = "changed but not saved"
    loaded.save(update_fields=["phone"])  # writes the record: it holds both
    fresh = Customer.objects.get(pk=customer.pk)
    assert fresh.phone == "080-0000-0002"
    assert Customer.objects.filter(phone_index=loaded.phone_index).count() == 1


def test_saving_an_unread_row_keeps_its_ciphertext(customer):
    before = raw_column(Customer, "sealed", customer.pk)
    loaded = Customer.objects.get(pk=customer.pk)
    # Customer.save reads e-mail, phone and name for the blind indexes; without it a save
    # re-seals the record only when a value was read or set (the change recorder compares
    # the stored row, never the instance's sealed values).
    models.Model.save(loaded, update_fields=["sealed", "updated_at"])
    assert raw_column(Customer, "sealed", customer.pk) == before
    loaded.name  # noqa: B018 - read: now the save re-seals under a fresh nonce
    models.Model.save(loaded, update_fields=["sealed"])
    after = raw_column(Customer, "sealed", customer.pk)
    assert after != before
    assert Customer.objects.get(pk=customer.pk).name == VALUES["name"]


def test_refresh_from_db_forgets_values_read_before(customer):
    loaded = Customer.objects.get(pk=customer.pk)
    assert loaded.email == VALUES["email"]
    other = Customer.objects.get(pk=customer.pk)
    other.email = "changed@example.jp"
    other.save()
    loaded.refresh_from_db()
    assert loaded.email == "changed@example.jp"


def test_a_new_customer_starts_from_the_field_defaults(db):
    customer = Customer()
    assert customer.gender == "unanswered" and customer.email == ""
    customer.name = "見本"
    customer.save()
    assert Customer.objects.get(pk=customer.pk).gender == "unanswered"


def test_dates_and_json_keep_their_types_inside_a_record():
    pk = uuid.uuid4()
    card = Card(id=pk, born=date(1990, 1, 2), prefs={"a": [1, 2.5, True, None, "文字"]})
    token = Card._meta.get_field("sealed").pre_save(card, add=True)
    assert encryption.is_sealed(token)
    again = Card(id=pk, sealed=token)
    assert again.born == date(1990, 1, 2)
    assert again.prefs == {"a": [1, 2.5, True, None, "文字"]}
    assert again.note == ""


def test_a_record_keeps_keys_the_model_no_longer_declares():
    # Removing a field from the code must not silently drop what rows hold for it.
    record = Card._meta.get_field("sealed")
    pk = uuid.uuid4()
    token = record.seal({"note": "x", "retired": "kept"}, Card(id=pk))
    card = Card(id=pk, sealed=token)
    assert card.born is None and card.prefs == {}  # missing members: their defaults
    card.note = "y"
    resealed = record.pre_save(card, add=False)
    opened = record.from_bytes(encryption.decrypt(resealed, record.associated_data(card)))
    assert opened == {"note": "y", "retired": "kept", "born": None, "prefs": {}}


def test_a_record_is_bound_to_its_row():
    record = Card._meta.get_field("sealed")
    token = record.pre_save(Card(id=uuid.uuid4(), note="x"), add=True)
    with pytest.raises(encryption.DecryptionError, match="shopguard_records.Card.sealed"):
        Card(id=uuid.uuid4(), sealed=token).note  # noqa: B018


def test_a_field_naming_no_record_is_reported_by_the_checks():
    errors = Broken._meta.get_field("note").check()
    assert [e.id for e in errors] == ["vault.E001"]
    assert Card._meta.get_field("note").check() == []


def test_only_with_personal_fields_loads_their_record_in_the_same_query(
    customer, django_assert_num_queries
):
    with django_assert_num_queries(1):
        rows = list(Customer.objects.only("id", "email", "name"))
        assert rows[0].email == VALUES["email"] and rows[0].phone == VALUES["phone"]
    with django_assert_num_queries(2):  # deferred: the record is fetched when first read
        (row,) = Customer.objects.defer("email")
        assert row.name == VALUES["name"]


def opened_plaintext(model, pk):
    """The decrypted bytes of a row's record, as stored."""
    record = model._meta.get_field("sealed")
    token = model.objects.values_list("sealed", flat=True).get(pk=pk)
    return encryption.decrypt(bytes(token), record.associated_data(model(id=pk)))


def test_new_customer_records_are_sealed_in_the_compact_form(customer):
    plain = opened_plaintext(Customer, customer.pk)
    assert plain[:1] == encryption.COMPACT_RECORD
    assert {n: getattr(Customer.objects.get(pk=customer.pk), n) for n in PERSONAL_FIELDS} == VALUES


@pytest.mark.parametrize(
    "record",
    [
        {"name": "山田", "email": "", "phone": None},
        {"a": "", "b": ""},
        {"only": None},
        {"text": 'tabs\tand\nnewlines, quotes " and \\ back, 🎌 and \x00'},
        {"名前": "キー も UTF-8", "retired": "kept"},
    ],
)
def test_the_compact_form_keeps_every_value_none_apart_from_empty(record):
    raw = encryption.encode_compact_record(record)
    assert raw[:1] == encryption.COMPACT_RECORD
    decoded = encryption.decode_compact_record(raw)
    assert decoded == record and list(decoded) == list(record)


def test_records_with_other_types_stay_json():
    assert encryption.encode_compact_record({"born": date(1990, 1, 2)}) is None
    assert encryption.encode_compact_record({"prefs": {"a": 1}}) is None


def test_a_record_sealed_as_json_still_opens_and_is_resealed_compact(customer):
    record = Customer._meta.get_field("sealed")
    row = Customer.objects.get(pk=customer.pk)
    old = encryption.encrypt(
        json.dumps({**VALUES, "retired": "kept"}, ensure_ascii=False).encode(),
        record.associated_data(row),
    )
    Customer.objects.filter(pk=customer.pk).update(sealed=old)
    row = Customer.objects.get(pk=customer.pk)
    assert {n: getattr(row, n) for n in PERSONAL_FIELDS} == VALUES
    row.save()
    plain = opened_plaintext(Customer, customer.pk)
    assert plain[:1] == encryption.COMPACT_RECORD
    assert encryption.decode_compact_record(plain)["retired"] == "kept"


def test_rows_with_different_key_lists_each_open_with_their_own(customer):
    longer = encryption.encode_compact_record({"a": "1", "b": "2", "c": "3"})
    shorter = encryption.encode_compact_record({"a": "1", "b": "2"})
    assert encryption.decode_compact_record(longer) == {"a": "1", "b": "2", "c": "3"}
    assert encryption.decode_compact_record(shorter) == {"a": "1", "b": "2"}
    assert encryption.decode_compact_record(longer) == {"a": "1", "b": "2", "c": "3"}
