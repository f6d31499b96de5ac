"""The data-request work queue (issue #15): owner and manager, due 14 days after the
identity check, warned from day 10, red when overdue; refusals told to the customer."""

import re

import pytest
from django.core import mail

from audit.models import AuditEntry
from customers.models import Customer
from datarequests.models import DataRequest
from datarequests.services import requests_due_for
from tests.factories import entries_after, ledger_mark
from tests.policy.conftest import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_reads")]

DAY = 24 * 60 * 60
ON_FILE = "queue-hanako@example.com"
REQUEST = {"kind": "correct", "name": "行列 花子", "email": ON_FILE, "phone": "", "details": ""}


@pytest.fixture
def customer(version1):
    return Customer.objects.create(name="行列 花子", email=ON_FILE)


@pytest.fixture
def verified(client, customer):
    """A request whose sender entered the mailed code: it is in the queue."""
    page = client.post("/privacy/requests/", REQUEST).url
    code = re.search(r"ご本人確認コード: (\d{6})", mail.outbox[-1].body).group(1)
    client.post(page, {"code": code})
    mail.outbox.clear()
    return DataRequest.objects.get(step="identity_confirmed")


def queue_page(client, person):
    sign_in(client, person)
    return client.get("/admin/datarequests/datarequest/").content.decode()


def test_the_manager_works_the_queue_and_each_step_names_the_customer(
    client, people, verified, customer
):
    assert verified.reference in queue_page(client, people.bob)
    mark = ledger_mark()
    advance = f"/admin/datarequests/datarequest/{verified.pk}/advance/"
    assert client.post(advance).status_code == 302
    assert client.post(advance).status_code == 302
    verified.refresh_from_db()
    assert verified.step == "done" and verified.done_by == people.bob
    steps = entries_after(mark).filter(action="policy.data_request_step").order_by("seq")
    assert [e.detail["step"] for e in steps] == ["in_progress", "done"]
    assert all(e.customer_ids == [str(customer.pk)] for e in steps)
    [message] = mail.outbox
    assert message.to == [ON_FILE] and verified.reference in message.subject
    assert "行列" not in message.body


def test_a_refusal_needs_a_reason_which_the_customer_is_told(client, people, verified):
    sign_in(client, people.alice)
    refuse = f"/admin/datarequests/datarequest/{verified.pk}/refuse/"
    assert client.get(refuse).status_code == 200
    assert client.post(refuse, {"reason": ""}).status_code == 200
    assert DataRequest.objects.get().step == "identity_confirmed" and not mail.outbox
    reason = "ご登録の内容は既に正しいため、訂正の必要がありません。"
    assert client.post(refuse, {"reason": reason}).status_code == 302
    verified.refresh_from_db()
    assert verified.step == "refused" and verified.refusal_reason == reason
    [message] = mail.outbox
    assert reason in message.body and message.to == [ON_FILE]
    entry = AuditEntry.objects.filter(action="policy.data_request_step").latest("seq")
    assert entry.detail == {
        "step": "refused",
        "kind": "correct",
        "fields": ["done_at", "done_by", "refusal_reason", "step"],
    }
    requests = AuditEntry.objects.filter(target_type="datarequests.datarequest")
    assert not requests.filter(action__startswith="model.").exists()
    assert "訂正の必要" not in str(entry.detail)
    # Closed: neither another refusal nor a step.
    client.post(refuse, {"reason": reason})
    client.post(f"/admin/datarequests/datarequest/{verified.pk}/advance/")
    assert len(mail.outbox) == 1 and DataRequest.objects.get().step == "refused"


@pytest.mark.parametrize("name", ["carol", "dave"])
def test_staff_and_auditor_cannot_refuse(client, people, verified, name):
    sign_in(client, getattr(people, name))
    refuse = f"/admin/datarequests/datarequest/{verified.pk}/refuse/"
    assert client.post(refuse, {"reason": "理由"}).status_code == 403
    assert DataRequest.objects.get().step == "identity_confirmed"


def test_the_due_date_is_warned_from_day_ten_and_red_when_overdue(client, people, verified, clock):
    page = queue_page(client, people.alice)
    assert "request-on-time" in page and "あと14日" in page
    clock.advance(10 * DAY)
    page = queue_page(client, people.alice)  # a new sign-in: sessions do not last days
    assert "request-warned" in page and "あと4日" in page
    clock.advance(5 * DAY)
    page = queue_page(client, people.alice)
    assert "request-overdue" in page and "1日超過" in page


def test_requests_due_for_gives_plain_facts_to_the_home_page(people, verified, clock):
    [fact] = requests_due_for(people.alice)
    assert fact["id"] == verified.pk and fact["kind"] == "correct"
    assert fact["days_left"] == 14 and not fact["warned"] and not fact["overdue"]
    clock.advance(11 * DAY)
    [fact] = requests_due_for(people.bob)
    assert fact["days_left"] == 3 and fact["warned"] and not fact["overdue"]
    clock.advance(4 * DAY)
    assert requests_due_for(people.alice)[0]["overdue"]
    assert requests_due_for(people.carol) == [] and requests_due_for(people.dave) == []
    assert "行列" not in str(requests_due_for(people.alice))


def test_a_purposes_request_is_answered_from_article_3_once_verified(client, customer, version1):
    page = client.post("/privacy/requests/", {**REQUEST, "kind": "purposes"}).url
    code = re.search(r"ご本人確認コード: (\d{6})", mail.outbox[-1].body).group(1)
    client.post(page, {"code": code})
    request = DataRequest.objects.get()
    assert request.step == "done" and request.done_at is not None
    answer = mail.outbox[-1]
    assert answer.to == [ON_FILE] and request.reference in answer.subject
    article3 = next(a for a in version1.articles if a["number"] == 3)
    assert article3["body_ja"] in answer.body and article3["body_en"] in answer.body
    entry = AuditEntry.objects.filter(action="policy.data_request_step").latest("seq")
    assert entry.detail == {
        "step": "done",
        "kind": "purposes",
        "policy": 1,
        "fields": ["done_at", "step"],
    }
    requests = AuditEntry.objects.filter(target_type="datarequests.datarequest")
    assert not requests.filter(action__startswith="model.").exists()
    assert entry.customer_ids == [str(customer.pk)]


def test_a_purposes_request_from_an_unknown_address_gets_nothing(client, version1):
    page = client.post("/privacy/requests/", {**REQUEST, "kind": "purposes"}).url
    client.post(page, {"code": "123456"})
    assert not mail.outbox and DataRequest.objects.get().step == "received"


def test_a_done_stop_of_provision_marks_the_customer_for_exports(client, people, customer):
    from policy.services import customers_excluded_from_third_party

    page = client.post("/privacy/requests/", {**REQUEST, "kind": "stop_provision"}).url
    client.post(page, {"code": re.search(r"コード: (\d{6})", mail.outbox[-1].body).group(1)})
    request = DataRequest.objects.get()
    assert list(customers_excluded_from_third_party()) == []
    sign_in(client, people.alice)
    advance = f"/admin/datarequests/datarequest/{request.pk}/advance/"
    client.post(advance)
    assert list(customers_excluded_from_third_party()) == []  # in progress: not yet
    client.post(advance)
    assert list(customers_excluded_from_third_party()) == [customer.pk]
    customer.refresh_from_db()
    assert customer.third_party_stopped_at is not None


def test_a_correction_request_links_to_the_customers_edit_page(client, people, verified, customer):
    sign_in(client, people.alice)
    page = client.get(f"/admin/datarequests/datarequest/{verified.pk}/change/").content.decode()
    assert f"/admin/customers/customer/{customer.pk}/change/" in page
    assert "顧客のページで訂正する" in page
