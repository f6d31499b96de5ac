"""Disclosure (issue #15): a verified disclosure request marked done mails a one-time link,
valid 7 days, to the address on file; it gives the customer's own data once, as a
printable page and as JSON: profile, purchases (sensitive ones included), consent history,
third-party provision records and who at the shop looked at their data, when and why."""

import base64
import datetime
import json
import re

import pytest
from django.core import mail

from audit.ledger import record
from audit.models import AuditEntry
from customers.models import Category, Customer, Purchase
from datarequests.models import DataRequest, DisclosureLink
from policy.models import Channel, ConsentRecord
from policy.services import record_provision
from tests.policy.conftest import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_reads")]

ON_FILE = "kaiji.hanako@example.com"
PRODUCT = "開示マーカー育毛剤"
OTHER_NAME = "他人 太郎"
DAY = 24 * 60 * 60


@pytest.fixture
def customer(version1, people):
    customer = Customer.objects.create(name="開示 花子", email=ON_FILE, phone="090-5555-6666")
    Purchase.objects.create(
        customer=customer,
        product_name=PRODUCT,
        category=Category.objects.get(code="hair-growth"),
        amount=4800,
        purchased_on=datetime.date(2026, 11, 1),
    )
    ConsentRecord.objects.create(customer=customer, version=version1, channel=Channel.SHOP)
    record_provision(
        recipient_name="株式会社配送見本",
        recipient_address="東京都千代田区見本1-1",
        recipient_representative="見本 一郎",
        provided_on=datetime.date(2026, 11, 2),
        customers=[customer],
        data_items=["name", "address"],
        basis="consent",
        actor=people.alice,
    )
    other = Customer.objects.create(name=OTHER_NAME, email="other@example.com")
    record(
        "customer.reveal",
        actor=people.carol,
        customers=[customer.pk],
        detail={"field": "phone", "reason": "配送のお問い合わせ"},
    )
    record("customer.reveal", actor=people.carol, customers=[other.pk], detail={"reason": "他人"})
    return customer


def done_disclosure(client, people):
    """A disclosure request made, verified and worked to done by the manager."""
    data = {"kind": "disclose", "name": "開示 花子", "email": ON_FILE, "phone": "", "details": ""}
    page = client.post("/privacy/requests/", data).url
    code = re.search(r"ご本人確認コード: (\d{6})", mail.outbox[-1].body).group(1)
    client.post(page, {"code": code})
    mail.outbox.clear()
    sign_in(client, people.bob)
    data_request = DataRequest.objects.get(step="identity_confirmed")
    advance = f"/admin/datarequests/datarequest/{data_request.pk}/advance/"
    client.post(advance)
    client.post(advance)
    client.logout()
    [message] = mail.outbox
    link = re.search(r"http://testserver(/privacy/requests/disclosure/[^/\s]+/)", message.body)
    return data_request, message, link.group(1)


def open_answer(client, link):
    landing = client.get(link)
    assert landing.status_code == 302 and landing["Location"] == "/privacy/requests/disclosure/"
    page = client.get(landing["Location"])
    assert page.status_code == 200 and "情報を表示する" in page.text
    return client.post(landing["Location"])


def json_of(page):
    encoded = re.search(r'href="data:application/json;base64,([^"]+)"', page.text).group(1)
    return json.loads(base64.b64decode(encoded))


def test_the_done_disclosure_mails_a_link_to_the_address_on_file(client, people, customer):
    data_request, message, link = done_disclosure(client, people)
    assert message.to == [ON_FILE] and data_request.reference in message.subject
    assert "7日以内" in message.body and "開示 花子" not in message.body
    token = link.rstrip("/").rsplit("/", 1)[-1]
    stored = DisclosureLink.objects.get(data_request=data_request)
    assert token not in stored.token_digest and stored.used_at is None


def test_the_answer_holds_their_data_and_who_looked_and_is_recorded(client, people, customer):
    data_request, _message, link = done_disclosure(client, people)
    page = open_answer(client, link)
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("max-age=0")
    for shown in (
        "開示 花子",
        ON_FILE,
        PRODUCT,
        "4,800円",
        "株式会社配送見本",
        "配送のお問い合わせ",
    ):
        assert shown in page.text, shown
    assert "スタッフ" in page.text and people.carol.username not in page.text
    assert OTHER_NAME not in page.text and "他人" not in page.text

    answer = json_of(page)
    assert answer["reference"] == data_request.reference
    assert answer["profile"]["email"] == ON_FILE and answer["profile"]["phone"] == "090-5555-6666"
    [purchase] = answer["purchases"]
    assert purchase["product_name"] == PRODUCT and purchase["sensitive"] is True
    assert [c["version"] for c in answer["consents"]] == [1]
    assert answer["provisions"][0]["recipient_name"] == "株式会社配送見本"
    reveal = next(look for look in answer["looks"] if look["reason"])
    assert reveal["reason"] == "配送のお問い合わせ" and reveal["role"] == "スタッフ"

    entry = AuditEntry.objects.get(action="policy.data_request_disclose")
    assert entry.customer_ids == [str(customer.pk)] and entry.actor_id is None
    assert entry.detail == {"reference": data_request.reference, "fields": ["used_at"]}
    links = AuditEntry.objects.filter(target_type="datarequests.disclosurelink")
    assert not links.filter(action="model.update").exists()  # the entry records the link's use


def test_a_second_use_shows_a_clear_page_and_changes_nothing(client, people, customer):
    _request, _message, link = done_disclosure(client, people)
    assert open_answer(client, link).status_code == 200
    used = DisclosureLink.objects.get().used_at
    again = client.get(link)
    assert again.status_code == 302
    page = client.post(again["Location"])
    assert page.status_code == 410 and "すでに使われたか、期限切れ" in page.text
    assert PRODUCT not in page.text
    assert DisclosureLink.objects.get().used_at == used
    assert AuditEntry.objects.filter(action="policy.data_request_disclose").count() == 1


def test_after_seven_days_the_link_shows_a_clear_page(client, people, customer, clock):
    _request, _message, link = done_disclosure(client, people)
    clock.advance(7 * DAY + 1)
    landing = client.get(link)
    page = client.get(landing["Location"])
    assert page.status_code == 410 and "期限切れ" in page.text
    assert client.post(landing["Location"]).status_code == 410
    assert DisclosureLink.objects.get().used_at is None
    assert not AuditEntry.objects.filter(action="policy.data_request_disclose").exists()


def test_an_unknown_link_is_not_found(client, customer):
    assert client.get("/privacy/requests/disclosure/not-a-token/").status_code == 404
    assert client.get("/privacy/requests/disclosure/").status_code == 404
    assert client.post("/privacy/requests/disclosure/").status_code == 404
