"""Correction (issue #15): the person handling a correction request sees the requested
change beside the customer's current values (masked, each with its reveal), applies it
through the customer's edit form like any edit, or refuses it with a reason."""

import re

import pytest
from django.core import mail

from audit.models import AuditEntry
from customers.models import Customer
from datarequests.models import DataRequest
from tests.customers.vault import HANAKO, change_url
from tests.factories import entries_after, ledger_mark
from tests.signing import signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_reads")]

ON_FILE = "teisei.hanako@example.com"
PHONE = "090-7777-1234"
WANTED = "電話番号を 080-2222-3333 に訂正してください。"


@pytest.fixture
def customer(version1):
    return Customer.objects.create(name="訂正 花子", email=ON_FILE, phone=PHONE)


@pytest.fixture
def correction(client, customer):
    data = {
        "kind": "correct",
        "name": "訂正 花子",
        "email": ON_FILE,
        "phone": "",
        "details": WANTED,
    }
    page = client.post("/privacy/requests/", data).url
    code = re.search(r"ご本人確認コード: (\d{6})", mail.outbox[-1].body).group(1)
    client.post(page, {"code": code})
    mail.outbox.clear()
    return DataRequest.objects.get(step="identity_confirmed")


def request_page(client, data_request):
    return client.get(f"/admin/datarequests/datarequest/{data_request.pk}/change/")


def test_the_requested_change_is_shown_beside_the_masked_current_values(
    client, people, customer, correction
):
    signed_in(client, people.bob)
    mark = ledger_mark()
    page = request_page(client, correction)
    assert page.status_code == 200
    text = page.content.decode()
    assert "現在の値とご希望の内容" in text and WANTED in text
    assert PHONE not in text and "1234" in text  # masked: the last digits only
    assert f"/admin/customers/customer/{customer.pk}/reveal/phone/" in text
    [entry] = entries_after(mark)
    assert entry.action == "policy.data_request_view" and entry.customer_ids == [str(customer.pk)]


def test_the_reveal_beside_it_asks_a_reason_and_is_recorded(client, people, customer, correction):
    signed_in(client, people.bob)
    reveal = f"/admin/customers/customer/{customer.pk}/reveal/phone/"
    response = client.post(reveal, {"reason_code": "inquiry"})
    assert response.status_code == 200 and PHONE in response.content.decode()
    entry = AuditEntry.objects.filter(action="customer.reveal").latest("seq")
    assert entry.customer_ids == [str(customer.pk)] and entry.detail["field"] == "phone"


def test_applying_is_an_edit_and_then_the_request_is_done(client, people, customer, correction):
    signed_in(client, people.bob)
    data = {**dict.fromkeys(HANAKO, ""), "phone": "080-2222-3333"}
    assert client.post(change_url(customer), data).status_code == 302
    assert Customer.objects.get(pk=customer.pk).phone == "080-2222-3333"
    change = AuditEntry.objects.get(action="customer.change")
    assert change.detail == {"fields": ["phone"]}
    advance = f"/admin/datarequests/datarequest/{correction.pk}/advance/"
    client.post(advance)
    client.post(advance)
    assert DataRequest.objects.get(pk=correction.pk).step == "done"
    [message] = mail.outbox
    assert message.to == [ON_FILE] and "080-2222-3333" not in message.body


def test_a_closed_request_and_other_kinds_show_no_comparison(client, people, customer, correction):
    signed_in(client, people.alice)
    refuse = f"/admin/datarequests/datarequest/{correction.pk}/refuse/"
    client.post(refuse, {"reason": "ご登録の内容は既に正しいため、訂正の必要がありません。"})
    assert "現在の値とご希望の内容" not in request_page(client, correction).content.decode()


def test_staff_cannot_open_the_request(client, people, correction):
    signed_in(client, people.carol)
    assert request_page(client, correction).status_code == 403
