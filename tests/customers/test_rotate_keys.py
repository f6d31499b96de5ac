import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from customers import rotation
from customers.models import Category, Customer, Purchase
from vault import encryption
from vault.blind_index import blind_index
from vault.encryption import encrypted_fields, key_id_of
from vault.keys import decode_key, new_field_key, new_raw_key, parse_field_keys

# The tests check stored values themselves; requests still start outside any scope.
pytestmark = pytest.mark.usefixtures("test_reads")

FIELDS = ["name", "name_kana", "postal_code", "address", "phone", "email", "card_brand"]


def make_customers(count):
    category = Category.objects.get(code="food")
    customers = []
    for i in range(count):
        customer = Customer.objects.create(
            name=f"試験 {i}",
            name_kana=f"シケン {i}",
            postal_code="000-0000",
            address=f"東京都見本市{i}",
            phone=f"090-0000-{i:04d}",
            email=f"test{i}@example.jp",
            card_brand="VISA",
        )
        Purchase.objects.create(
            customer=customer,
            product_name=f"見本品 {i}",
            category=category,
            amount=100 + i,
            purchased_on=datetime.date(2026, 1, 1),
        )
        customers.append(customer)
    return customers


def snapshot():
    customers = {c.pk: tuple(getattr(c, f) for f in FIELDS) for c in Customer.objects.all()}
    purchases = {p.pk: p.product_name for p in Purchase.objects.all()}
    return customers, purchases


def stored_key_ids():
    ids = set()
    for model in (Customer, Purchase):
        for row in model.objects.values_list(*[f.attname for f in encrypted_fields(model)]):
            # key_id_of gives None for anything that is not ciphertext, failing the caller.
            ids.update(key_id_of(v) for v in row if v is not None)
    return ids


@pytest.fixture
def old_and_new_keys(settings):
    old = settings.FIELD_ENCRYPTION_KEYS
    new = parse_field_keys(new_field_key())
    return old, new


def rotate(**options):
    out = StringIO()
    call_command("rotate_keys", stdout=out, **options)
    return out.getvalue()


def test_it_discovers_every_model_with_encrypted_fields():
    assert Customer in rotation.encrypted_models()
    assert Purchase in rotation.encrypted_models()
    assert Category not in rotation.encrypted_models()


def test_rotation_keeps_every_value_and_the_old_key_can_be_removed(db, settings, old_and_new_keys):
    old, new = old_and_new_keys
    make_customers(7)
    before = snapshot()
    settings.FIELD_ENCRYPTION_KEYS = {**new, **old}

    output = rotate(batch_size=3)

    (new_id,) = new
    (old_id,) = old
    assert stored_key_ids() == {new_id}
    assert f"before key {old_id}: " in output and f"after key {new_id}: " in output
    settings.FIELD_ENCRYPTION_KEYS = new  # the old key is gone: everything still reads
    assert snapshot() == before
    entry = AuditEntry.objects.get(action="keys.rotate")
    assert entry.detail["after"] == {new_id: entry.detail["before"][old_id]}
    assert entry.detail["re_encrypted"]["customers.Customer"] == 7  # one record per row


def test_rotation_resumes_after_an_interruption(db, settings, old_and_new_keys, monkeypatch):
    old, new = old_and_new_keys
    make_customers(6)
    before = snapshot()
    settings.FIELD_ENCRYPTION_KEYS = {**new, **old}
    real_bulk_update = Customer._base_manager.bulk_update
    calls = []

    def interrupted_bulk_update(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_bulk_update(*args, **kwargs)

    monkeypatch.setattr(Customer._base_manager, "bulk_update", interrupted_bulk_update)
    with pytest.raises(KeyboardInterrupt):
        rotate(batch_size=2)
    (new_id,) = new
    half_done = rotation.key_counts(Customer)
    assert half_done[new_id] == 2  # the first batch committed, the second rolled back
    monkeypatch.undo()

    output = rotate(batch_size=2)

    assert "customers.Customer: 4 re-encrypted" in output  # only what was left
    settings.FIELD_ENCRYPTION_KEYS = new
    assert snapshot() == before


def test_dry_run_changes_nothing(db, settings, old_and_new_keys):
    old, new = old_and_new_keys
    make_customers(3)
    (old_id,) = old
    settings.FIELD_ENCRYPTION_KEYS = {**new, **old}

    output = rotate(dry_run=True)

    assert stored_key_ids() == {old_id}
    assert "Dry run: 6 values would be re-encrypted" in output  # 3 records + 3 purchases
    assert not AuditEntry.objects.filter(action="keys.rotate").exists()


def test_running_twice_rewrites_nothing_the_second_time(db, settings, old_and_new_keys):
    old, new = old_and_new_keys
    make_customers(2)
    settings.FIELD_ENCRYPTION_KEYS = {**new, **old}
    rotate()
    stored = [bytes(v) for v in Customer.objects.values_list("sealed", flat=True)]

    output = rotate()

    assert "customers.Customer: 0 re-encrypted" in output
    assert [bytes(v) for v in Customer.objects.values_list("sealed", flat=True)] == stored


def test_rotation_batches_its_queries(
    db, settings, old_and_new_keys, django_assert_max_num_queries
):
    old, new = old_and_new_keys
    make_customers(20)
    settings.FIELD_ENCRYPTION_KEYS = {**new, **old}
    with django_assert_max_num_queries(40):
        rotation.rotate_model(Customer, batch_size=10)


def test_blind_index_rotation_keeps_search_working(db, settings):
    (customer, *_) = make_customers(3)
    settings.BLIND_INDEX_KEY = decode_key("BLIND_INDEX_KEY", new_raw_key())
    new_index = blind_index("email", "test0@example.jp")
    assert not Customer.objects.filter(email_index=new_index).exists()

    output = rotate(blind_index=True)

    assert "customers.Customer: 3 reindexed" in output
    assert list(Customer.objects.filter(email_index=new_index)) == [customer]
    found = Customer.objects.get(phone_index=blind_index("phone", "+81 90 0000 0000"))
    assert found == customer
    assert Customer.objects.get(name_index=blind_index("name", "試験0")) == customer
    entry = AuditEntry.objects.get(action="keys.rotate")
    assert entry.detail["blind_indexes_rebuilt"] == {"customers.Customer": 3}


def test_a_missing_old_key_stops_rotation_with_a_clear_message(db, settings, old_and_new_keys):
    old, new = old_and_new_keys
    make_customers(2)
    (old_id,) = old
    settings.FIELD_ENCRYPTION_KEYS = new  # the old key was removed too early

    with pytest.raises(CommandError, match="Keep every old key") as error:
        rotate()

    assert "試験" not in str(error.value)
    assert stored_key_ids() == {old_id}  # nothing half-written
    assert not AuditEntry.objects.filter(action="keys.rotate").exists()
    output = rotate(dry_run=True)
    assert f"before key {old_id}: 4 values (NOT CONFIGURED" in output  # 2 records + 2


def test_rotation_also_brings_values_of_format_version_1_forward(db):
    (customer,) = make_customers(1)
    before = snapshot()
    record = Customer._meta.get_field("sealed")
    plain = encryption.decrypt(
        bytes(Customer.objects.values_list("sealed", flat=True).get()),
        record.associated_data(customer),
    )
    old_format = encryption.encrypt(plain, record.associated_data(customer, version=1), version=1)
    Customer.objects.filter(pk=customer.pk).update(sealed=old_format)
    assert snapshot() == before  # version 1 still reads

    rotate()

    stored = bytes(Customer.objects.values_list("sealed", flat=True).get())
    assert stored[0] == encryption.VERSION and stored != old_format
    assert key_id_of(stored) == encryption.current_key_id()
    assert snapshot() == before
