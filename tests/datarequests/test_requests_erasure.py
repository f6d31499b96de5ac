"""Deletion and stop of use (issue #15): the owner, after confirming the password and
typing the reference, erases the customer's personal data for good. Their values, search
indexes and product names are gone from the database (and from SQLite's file), consent is
withdrawn, purchases keep amount, date and category, the ledger keeps the fact only."""

import datetime
import re
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection

from audit.models import AuditEntry
from customers.models import ANONYMISED_NAME, Category, Customer, Purchase
from datarequests.models import DataRequest
from policy.models import Channel, ConsentRecord, PolicyVersion
from tests.customers.test_at_rest import database_text
from tests.policy.conftest import SEED, publish, sign_in
from vault.models import LimitCounter

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_reads")]

ON_FILE = "shoukyo.hanako@example.com"
PERSON = {
    "name": "消去 花子",
    "email": ON_FILE,
    "phone": "090-3333-4444",
    "address": "東京都港区消去マーカー1-2-3",
    "card_token": "tok_ERASEMARKER",
}
PRODUCT = "消去マーカー育毛剤"


def request_data(kind):
    return {
        "kind": kind,
        "name": PERSON["name"],
        "email": ON_FILE,
        "phone": "",
        "details": "消して",
    }


def make_customer():
    """The person, a sensitive purchase and their consent to the policy in effect."""
    version = PolicyVersion.objects.published().first() or publish(SEED.ARTICLES)
    customer = Customer.objects.create(**PERSON)
    category, _ = Category.objects.get_or_create(
        code="hair-growth", defaults={"name_ja": "育毛", "name_en": "Hair", "sensitive": True}
    )
    Purchase.objects.create(
        customer=customer,
        product_name=PRODUCT,
        category=category,
        amount=4800,
        purchased_on=datetime.date(2026, 11, 1),
    )
    ConsentRecord.objects.create(customer=customer, version=version, channel=Channel.SHOP)
    return customer


def verified_request(client, kind="delete"):
    """A request made on the public page and confirmed with the mailed code."""
    page = client.post("/privacy/requests/", request_data(kind)).url
    code = re.search(r"ご本人確認コード: (\d{6})", mail.outbox[-1].body).group(1)
    client.post(page, {"code": code})
    mail.outbox.clear()
    client.logout()
    return DataRequest.objects.get(kind=kind, step="identity_confirmed")


def erase_url(data_request):
    return f"/admin/datarequests/datarequest/{data_request.pk}/erase/"


def stored_traces(customer):
    """The person's stored bytes and index values, read raw (nothing decrypted)."""
    columns = ("sealed", "email_index", "phone_index", "name_index")
    sealed, *indexes = Customer.objects.filter(pk=customer.pk).values_list(*columns).get()
    stored = Purchase.objects.filter(customer=customer).values_list("product_name", flat=True)
    products = [bytes(token) for token in stored]
    digests = list(DataRequest.objects.values_list("email_digest", flat=True))
    return {"sealed": [bytes(sealed)], "products": products, "indexes": indexes + digests}


def database_file():
    """The SQLite file's bytes (its write-ahead log folded in and emptied first)."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    name = Path(connection.settings_dict["NAME"])
    wal = name.with_name(name.name + "-wal")
    return name.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_only_the_owner_erases_and_only_after_the_password(client, people):
    customer = make_customer()
    data_request = verified_request(client)
    sign_in(client, people.bob)
    assert client.get(erase_url(data_request)).status_code == 403
    assert (
        client.post(erase_url(data_request), {"confirm": data_request.reference}).status_code == 403
    )
    client.logout()
    sign_in(client, people.alice)
    response = client.post(erase_url(data_request), {"confirm": data_request.reference})
    assert response.status_code == 302 and response["Location"].startswith("/admin/reauth/")
    assert Customer.objects.get(pk=customer.pk).name == PERSON["name"]
    assert not AuditEntry.objects.filter(action="customer.erase").exists()


def test_a_wrong_reference_erases_nothing(client, people):
    customer = make_customer()
    data_request = verified_request(client)
    sign_in(client, people.alice, reauthenticated=True)
    page = client.get(erase_url(data_request))
    assert page.status_code == 200 and 'name="confirm"' in page.text
    response = client.post(erase_url(data_request), {"confirm": "REQ-00000000"})
    assert response.status_code == 200 and "受付番号が一致しません" in response.text
    assert Customer.objects.get(pk=customer.pk).email == ON_FILE
    assert DataRequest.objects.get(pk=data_request.pk).step == "identity_confirmed"
    assert not AuditEntry.objects.filter(action="customer.erase").exists()


def test_a_deletion_request_is_not_done_without_the_erasure(client, people):
    make_customer()
    data_request = verified_request(client)
    sign_in(client, people.bob)
    advance = f"/admin/datarequests/datarequest/{data_request.pk}/advance/"
    client.post(advance)
    client.post(advance)
    assert DataRequest.objects.get(pk=data_request.pk).step == "in_progress"


def erase(client, people, kind="delete"):
    customer = make_customer()
    data_request = verified_request(client, kind)
    traces = stored_traces(customer)
    sign_in(client, people.alice, reauthenticated=True)
    response = client.post(erase_url(data_request), {"confirm": data_request.reference.lower()})
    assert response.status_code == 302
    return customer, data_request, traces


@pytest.mark.parametrize("kind", ["delete", "stop_use"])
def test_erasure_leaves_the_tax_facts_and_the_fact_only(client, people, kind):
    customer, data_request, traces = erase(client, people, kind)

    fresh = Customer.objects.get(pk=customer.pk)
    assert fresh.name == ANONYMISED_NAME and fresh.anonymised_at
    assert (fresh.email, fresh.phone, fresh.address, fresh.card_token) == ("", "", "", "")
    [purchase] = fresh.purchases.all()
    assert (purchase.amount, purchase.purchased_on) == (4800, datetime.date(2026, 11, 1))
    assert purchase.category.code == "hair-growth" and PRODUCT not in purchase.product_name
    assert ConsentRecord.objects.get(customer=customer).withdrawn_at is not None
    answered = DataRequest.objects.get(pk=data_request.pk)
    assert answered.step == "done" and answered.done_by == people.alice
    assert (answered.name, answered.email, answered.details, answered.email_digest) == ("",) * 4
    assert not LimitCounter.objects.filter(key__contains=traces["indexes"][-1]).exists()

    entry = AuditEntry.objects.get(action="customer.erase")
    assert entry.customer_ids == [str(customer.pk)]
    assert entry.detail == {
        "request": data_request.reference,
        "kind": kind,
        "consents_withdrawn": 1,
        "purchases_kept": 1,
        # The customer's and their requests' erased fields: names only.
        "fields": [
            "address", "anonymised_at", "card_token", "code_hash", "details", "email", "name",
            "phone", "product_name",
        ],
    }  # fmt: skip
    # The request's step and the erasure: the saves have no entries of their own.
    step = AuditEntry.objects.filter(action="policy.data_request_step").latest("seq")
    after = AuditEntry.objects.filter(seq__gt=step.seq).values_list("action", flat=True)
    assert list(after) == ["customer.erase"]
    [message] = mail.outbox
    assert message.to == [ON_FILE] and data_request.reference in message.subject

    # Not in any table, whatever the database (read raw: nothing decrypted).
    text = database_text()
    for value in [*PERSON.values(), PRODUCT, *traces["indexes"]]:
        assert value not in text, value
    after = stored_traces(customer)
    assert after["sealed"] != traces["sealed"] and set(after["products"]).isdisjoint(
        traces["products"]
    )


@pytest.mark.django_db(transaction=True)
def test_erasure_leaves_nothing_of_the_person_in_the_database_file(client, people):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps old row versions until VACUUM; its file is not ours")
    customer, data_request, traces = erase(client, people)
    needles = [*traces["sealed"], *traces["products"]]
    needles += [value.encode() for value in traces["indexes"] if value]
    needles += [PRODUCT.encode(), PERSON["address"].encode()]
    raw = database_file()
    found = [needle[:16] for needle in needles if needle in raw]
    assert not found, found


@pytest.mark.django_db(transaction=True)
def test_the_file_check_sees_a_person_who_was_not_erased(client, people):
    # Guard against a check that can never fail: before erasure, the traces are there.
    if connection.vendor != "sqlite":
        pytest.skip("reads the SQLite database file")
    customer = make_customer()
    verified_request(client)
    traces = stored_traces(customer)
    raw = database_file()
    assert traces["sealed"][0] in raw and traces["products"][0] in raw
    assert all(value.encode() in raw for value in traces["indexes"] if value)
