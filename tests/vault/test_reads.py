"""The guard behind the one reading path (vault/reads.py): a decryption outside a
recorded read raises under tests, is recorded in production, and what reads in bulk says
so."""

import io

import pytest
from django.core.management import call_command

from audit.models import AuditEntry
from customers import reading
from customers.importing import import_customers
from customers.models import Customer
from exports.archive import write_archive
from tests.customers.import_samples import TWO_CUSTOMERS
from tests.customers.vault import HANAKO, make_customer
from vault import reads
from vault.reads import UnrecordedRead, bulk_read, recorded_read

pytestmark = pytest.mark.django_db


def decryptions(work):
    """The read scope of each stored value ``work()`` decrypted."""
    seen = []
    with reads.watch(lambda instance, field, scope: seen.append(scope and scope.reason)):
        work()
    return seen


def test_an_unrecorded_read_raises_under_tests():
    customer = make_customer()
    fresh = Customer.objects.get(pk=customer.pk)
    with pytest.raises(UnrecordedRead) as error:
        fresh.email  # noqa: B018
    message = str(error.value)
    assert "customers.Customer.sealed" in message and str(customer.pk) in message
    assert HANAKO["email"] not in message


def test_a_recorded_read_covers_only_the_customers_it_names():
    hanako, other = make_customer(), make_customer(email="other@example.com")
    with recorded_read([hanako.pk]):
        assert Customer.objects.get(pk=hanako.pk).email == HANAKO["email"]
        with pytest.raises(UnrecordedRead, match="not covered"):
            Customer.objects.get(pk=other.pk).email  # noqa: B018


def test_in_production_an_unrecorded_read_is_recorded_and_logged(settings, caplog):
    settings.SHOPGUARD_UNRECORDED_READS = "record"
    customer = make_customer()
    assert Customer.objects.get(pk=customer.pk).email == HANAKO["email"]
    entry = AuditEntry.objects.get(action="customer.unrecorded_read")
    assert entry.customer_ids == [str(customer.pk)]
    assert entry.detail == {"model": "customers.customer", "field": "sealed"}
    assert (entry.target_type, entry.target_id) == ("customers.customer", str(customer.pk))
    assert HANAKO["email"] not in str(entry.detail) + entry.target_id
    assert any("unrecorded read" in r.getMessage() for r in caplog.records)


def test_the_production_default_records_and_debug_raises(monkeypatch):
    import importlib

    from shopguard import settings as live

    for debug, expected in (("0", "record"), ("1", "raise")):
        monkeypatch.delenv("SHOPGUARD_UNRECORDED_READS", raising=False)
        monkeypatch.setenv("DEBUG", debug)
        assert importlib.reload(live).SHOPGUARD_UNRECORDED_READS == expected
    monkeypatch.undo()
    importlib.reload(live)


def test_a_bulk_read_names_a_declared_reason():
    with pytest.raises(ValueError, match="not a declared bulk read"):
        bulk_read("because")
    assert reads.INTERNAL_READS <= set(reads.BULK_READS)


def test_saving_is_not_a_read():
    customer = Customer.objects.get(pk=make_customer().pk)
    # Change capture compares with the stored values to name the changed fields; that
    # happens as the internal "save" read, never as a read of the person's data.
    assert set(decryptions(customer.save)) <= {"save"}
    customer.anonymised_at = None
    assert decryptions(lambda: customer.save(update_fields=["anonymised_at"])) == []


def test_values_merged_only_to_re_seal_stay_sealed_after_a_save():
    customer = Customer.objects.get(pk=make_customer().pk)
    customer.name_kana = "ヤマダ ハナコ"
    customer.save()
    with pytest.raises(UnrecordedRead):
        customer.email  # noqa: B018
    assert customer.name_kana == "ヤマダ ハナコ"  # what the code set is its own


def test_rotation_import_and_export_declare_their_bulk_reads(settings):
    make_customer()
    call_command("rotate_keys", stdout=io.StringIO())
    call_command("rotate_keys", "--blind-index", stdout=io.StringIO())
    import_customers(TWO_CUSTOMERS.encode())
    import_customers(TWO_CUSTOMERS.encode())  # the second time, it matches by e-mail
    carried = []
    assert write_archive(io.BytesIO(), ["name", "email"], "pass-phrase-1", carried=carried) == 3
    assert len(carried) == 3


def test_the_reading_path_scope_ends_with_its_block(people, rf):
    customer = make_customer()
    request = rf.get("/")
    request.user = people.alice
    with reading.list_page(request, [customer], model_name="customer"):
        pass
    with pytest.raises(UnrecordedRead):
        Customer.objects.get(pk=customer.pk).name  # noqa: B018
