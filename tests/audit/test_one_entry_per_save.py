"""Issue #21: exactly one ledger entry per save, whether it comes from the admin, a form,
a service or a management command; an entry names the changed fields, never a value."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from audit.actions import ALERT_ACTIONS
from customers.forms import PurchaseForm
from customers.models import Customer, Purchase
from policy.models import Channel, PolicyVersion, ThirdPartyProvision
from policy.services import record_consent
from tests.customers.vault import HANAKO, PURCHASES, change_url, make_purchase
from tests.factories import entries_after, ledger_mark
from tests.signing import reauthenticate
from vault.roles import MANAGER, OWNER, STAFF

pytestmark = pytest.mark.usefixtures("test_reads")

NEW_PHONE = "080-9999-0000"


def records_after(mark):
    """Entries after ``mark`` that record work: an alert an entry raised (alert.raise)
    is about that entry, not a record of a save."""
    return entries_after(mark).exclude(action__in=ALERT_ACTIONS)


def written_after(mark):
    """(action, target type, fields) of every entry written after ``mark``."""
    return [
        (entry.action, entry.target_type, entry.detail.get("fields"))
        for entry in records_after(mark).order_by("seq")
    ]


def test_one_admin_save_of_a_customer_is_one_entry(client, people, hanako):
    client.force_login(people.carol)
    data = {**dict.fromkeys(HANAKO, ""), "phone": NEW_PHONE, "name_kana": "ヤマダ ハナ"}
    mark = ledger_mark()
    response = client.post(change_url(hanako), data)

    assert response.status_code == 302
    # A changed phone is a contact change too: an entry of its own (issue #22).
    assert written_after(mark) == [
        ("customer.contact_change", "customers.customer", ["phone"]),
        ("customer.change", "customers.customer", ["name_kana", "phone"]),
    ]
    for entry in records_after(mark):
        assert "080" not in str(entry.detail) and "ハナ" not in str(entry.detail)


def test_one_admin_save_of_a_purchase_is_one_entry(client, people, hanako):
    purchase = make_purchase(hanako, category="medicine", product="育毛剤プレミアム")
    client.force_login(people.bob)
    data = {
        "customer": str(hanako.pk),
        "category": purchase.category_id,
        "product_name": "",
        "amount": "3300",
        "purchased_on": "2026-11-01",
    }
    mark = ledger_mark()
    response = client.post(f"{PURCHASES}{purchase.pk}/change/", data)

    assert response.status_code == 302
    assert written_after(mark) == [("purchase.change", "customers.purchase", ["amount"])]


def test_one_form_save_is_one_entry(hanako):
    purchase = make_purchase(hanako, category="medicine", product="育毛剤プレミアム")
    data = {
        "customer": str(hanako.pk),
        "category": purchase.category_id,
        "product_name": "",
        "amount": "4000",
        "purchased_on": "2026-11-02",
    }
    form = PurchaseForm(data, instance=Purchase.objects.get(pk=purchase.pk))
    assert form.is_valid(), form.errors
    mark = ledger_mark()
    form.save()

    assert written_after(mark) == [
        ("model.update", "customers.purchase", ["amount", "purchased_on"])
    ]
    assert Purchase.objects.get(pk=purchase.pk).amount == 4000


def test_one_save_by_a_service_is_one_entry(hanako):
    mark = ledger_mark()
    record_consent(hanako, PolicyVersion.objects.get(number=1), Channel.SHOP)
    assert written_after(mark) == [
        (
            "policy.consent",
            "policy.consentrecord",
            ["channel", "consented_at", "content_hash", "customer", "version"],
        )
    ]


def test_one_save_in_code_is_one_entry(hanako):
    customer = Customer.objects.get(pk=hanako.pk)
    customer.address = "東京都新宿区西新宿9-9-9"
    mark = ledger_mark()
    customer.save()
    assert written_after(mark) == [("model.update", "customers.customer", ["address"])]


def test_a_management_command_is_one_entry(db, monkeypatch):
    monkeypatch.setenv("OWNER_PASSWORD", "a long owner passphrase")
    mark = ledger_mark()
    call_command("createowner", "shopowner", password_env="OWNER_PASSWORD")

    owner = get_user_model().objects.get(username="shopowner")
    [entry] = records_after(mark)
    assert (entry.action, entry.target_id) == ("account.create", str(owner.pk))
    assert entry.detail == {
        "role": OWNER,
        "fields": [
            "date_joined", "groups", "is_active", "is_staff", "is_superuser", "password",
            "username",
        ],
    }  # fmt: skip
    assert "passphrase" not in str(entry.detail)


def test_a_command_that_deletes_many_rows_is_one_entry(hanako):
    old = ThirdPartyProvision.objects.create(
        recipient_name="見本運輸",
        recipient_address="東京都千代田区見本1-1",
        recipient_representative="見本 一郎",
        provided_on=datetime.date(2019, 1, 1),
        data_items=["name"],
        basis="consent",
        recorded_on=datetime.date(2019, 1, 1),
    )
    old.customers.set([hanako])
    mark = ledger_mark()
    call_command("purge_provision_records")
    assert not ThirdPartyProvision.objects.exists()
    assert written_after(mark) == [("policy.provision_purge", "", None)]


def test_a_role_change_is_one_entry(client, people):
    client.force_login(people.alice)
    reauthenticate(client)
    mark = ledger_mark()
    response = client.post(f"/admin/auth/user/{people.carol.pk}/role/", {"role": MANAGER})

    assert response.status_code == 302
    assert written_after(mark) == [("account.role_change", "auth.user", ["groups"])]
    [entry] = records_after(mark)
    assert (entry.detail["old"], entry.detail["new"]) == (STAFF, MANAGER)


def test_anonymising_is_one_entry_for_the_customer_and_their_purchases(client, people, hanako):
    make_purchase(hanako)
    make_purchase(hanako, product="有機味噌 1kg")
    client.force_login(people.alice)
    reauthenticate(client)
    mark = ledger_mark()
    response = client.post(f"/admin/customers/customer/{hanako.pk}/anonymise/")

    assert response.status_code == 302
    [(action, target, fields)] = written_after(mark)
    assert (action, target) == ("customer.anonymise", "customers.customer")
    assert "product_name" in fields and "name" in fields


def test_deleting_a_customer_is_one_entry_for_them_and_their_purchases(client, people, hanako):
    make_purchase(hanako)
    client.force_login(people.alice)
    reauthenticate(client)
    mark = ledger_mark()
    response = client.post(f"/admin/customers/customer/{hanako.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Customer.objects.exists() and not Purchase.objects.exists()
    assert written_after(mark) == [("customer.delete", "customers.customer", None)]
