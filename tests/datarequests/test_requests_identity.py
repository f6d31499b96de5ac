"""The data request's identity check (issue #15): a code mailed to the address on file,
and the same answer for every typed address, known or not."""

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from customers.models import Customer
from datarequests.models import DataRequest
from tests.factories import entries_after, ledger_mark
from tests.signing import signed_in
from vault import limits
from vault.mail import shop_identity

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_reads")]

FORM = "/privacy/requests/"
ON_FILE = "Kakunin.Hanako@Example.com"
REQUEST = {
    "kind": "disclose",
    "name": "確認 花子",
    "email": "kakunin.hanako@example.com",
    "phone": "",
    "details": "",
}
UNKNOWN = {**REQUEST, "email": "nobody-here@example.com"}


@pytest.fixture
def customer(version1):
    return Customer.objects.create(name="確認 花子", email=ON_FILE, phone="090-1111-2222")


def submit(client, data=REQUEST, **extra):
    return client.post(FORM, data, **extra)


def code_in(message):
    return re.search(r"ご本人確認コード: (\d{6})", message.body).group(1)


def page_text(client, url):
    """The request's page without what differs by design (reference, token, CSRF)."""
    text = client.get(url).content.decode()
    text = re.sub(r"REQ-[0-9A-F]{8}", "REQ", text)
    text = text.replace(url, "URL")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)


def test_the_code_goes_to_the_address_on_file_and_confirms_the_request(client, customer):
    mark = ledger_mark()
    page = submit(client).url
    request = DataRequest.objects.get()
    assert request.customer == customer and request.step == "received"
    [message] = mail.outbox
    assert message.to == [ON_FILE]  # the shop's own copy of the address, not the typed one
    assert request.reference in message.subject and request.reference in message.body
    assert "確認 花子" not in message.body and "090" not in message.body
    code = code_in(message)
    assert code not in request.code_hash and request.code_hash
    assert page in message.body
    received = entries_after(mark).get(action="policy.data_request")
    assert received.customer_ids == [str(customer.pk)]
    assert client.post(page, {"code": code}).status_code == 302
    request.refresh_from_db()
    assert request.step == "identity_confirmed" and request.identity_confirmed_at
    step = entries_after(mark).get(action="policy.data_request_step")
    assert step.detail["step"] == "identity_confirmed"
    assert step.customer_ids == [str(customer.pk)]
    assert "ご本人確認ができました" in client.get(page).content.decode()


def test_an_unknown_address_gets_no_mail_and_the_same_answer(client, customer):
    known = submit(client)
    unknown = submit(client, UNKNOWN)
    assert known.status_code == unknown.status_code == 302
    assert len(mail.outbox) == 1
    assert page_text(client, known.url) == page_text(client, unknown.url)
    # A wrong code is answered alike too.
    for response in (known, unknown):
        assert client.post(response.url, {"code": "000000"}).status_code == 302
    assert page_text(client, known.url) == page_text(client, unknown.url)
    stranger = DataRequest.objects.get(customer=None)
    assert stranger.step == "received" and stranger.code_hash


def query_shapes(captured):
    """The statements run, without their values; the ledger's appearances of a named
    customer (small indexed inserts per entry, SQLite) are the only work that may differ."""
    values = r"\bNULL\b|'[^']*'|\b\d+\b|\"s\d+_x\d+\""  # literals, numbers and savepoint names
    sql = (re.sub(r"::\w+", "", q["sql"]) for q in captured.captured_queries)  # PG casts
    shapes = [re.sub(values, "?", statement) for statement in sql]
    return [shape for shape in shapes if not re.search("audit_(appearance|customerkey)", shape)]


def test_known_and_unknown_addresses_take_the_same_work(client, customer):
    """The timing class: the same statements, in the same order, for either address
    (the customer lookup, the code's hash and the insert all run for both)."""
    submit(client, {**UNKNOWN, "email": "warm-up@example.com"}, REMOTE_ADDR="203.0.113.9")
    shop_identity()  # a running server has read the shop's name for mails (vault.mail)
    with CaptureQueriesContext(connection) as known:
        submit(client, REMOTE_ADDR="203.0.113.1")
    with CaptureQueriesContext(connection) as unknown:
        submit(client, UNKNOWN, REMOTE_ADDR="203.0.113.2")
    known_shapes, unknown_shapes = query_shapes(known), query_shapes(unknown)
    assert known_shapes == unknown_shapes


def test_three_wrong_codes_close_the_request(client, customer):
    page = submit(client).url
    code = code_in(mail.outbox[0])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    client.post(page, {"code": wrong})
    assert "あと2回" in client.get(page).content.decode()
    client.post(page, {"code": wrong})
    client.post(page, {"code": wrong})
    request = DataRequest.objects.get()
    assert request.step == "closed" and request.code_attempts == 3
    # A fourth try, even the right code, changes nothing.
    client.post(page, {"code": code})
    request.refresh_from_db()
    assert request.step == "closed" and request.code_attempts == 3
    assert "終了しました" in client.get(page).content.decode()
    steps = AuditEntry.objects.filter(action="policy.data_request_step")
    assert [e.detail["step"] for e in steps] == ["closed"]


def test_a_code_is_valid_for_thirty_minutes(client, customer, clock):
    page = submit(client).url
    code = code_in(mail.outbox[0])
    clock.advance(30 * 60 + 1)
    client.post(page, {"code": code})
    assert DataRequest.objects.get().step == "closed"


def test_a_code_used_once_cannot_be_replayed(client, customer):
    page = submit(client).url
    code = code_in(mail.outbox[0])
    client.post(page, {"code": code})
    client.post(page, {"code": code})
    request = DataRequest.objects.get()
    assert request.step == "identity_confirmed" and request.code_attempts == 1
    assert AuditEntry.objects.filter(action="policy.data_request_step").count() == 1


def test_a_malformed_code_is_refused_without_counting(client, customer):
    page = submit(client).url
    response = client.post(page, {"code": "12ab"})
    assert response.status_code == 200 and "6桁の数字" in response.content.decode()
    assert DataRequest.objects.get().code_attempts == 0


def test_a_duplicate_open_request_is_refused_clearly(client, customer):
    submit(client)
    again = submit(client, REMOTE_ADDR="203.0.113.7")
    assert again.status_code == 200 and "まだ対応中です" in again.content.decode()
    assert DataRequest.objects.count() == 1 and len(mail.outbox) == 1
    # The same answer for an address that is nobody's.
    submit(client, UNKNOWN)
    again = submit(client, UNKNOWN, REMOTE_ADDR="203.0.113.7")
    assert "まだ対応中です" in again.content.decode()


def test_requests_are_limited_per_typed_address_from_any_ip(client, customer):
    kinds = ["purposes", "disclose", "correct", "stop_use"]
    per_address = limits.DATA_REQUESTS_PER_ADDRESS.number
    for n, kind in enumerate(kinds[:per_address]):
        response = submit(client, {**REQUEST, "kind": kind}, REMOTE_ADDR=f"203.0.113.{n + 1}")
        assert response.status_code == 302
    refused = submit(client, {**REQUEST, "kind": kinds[per_address]}, REMOTE_ADDR="198.51.100.1")
    assert refused.status_code == 429
    assert DataRequest.objects.count() == per_address
    assert submit(client, UNKNOWN, REMOTE_ADDR="198.51.100.1").status_code == 302


def test_only_verified_requests_reach_the_queue(client, people, customer):
    waiting = submit(client).url
    submit(client, UNKNOWN)
    signed_in(client, people.alice)
    listing = client.get("/admin/datarequests/datarequest/").content.decode()
    assert not any(r.reference in listing for r in DataRequest.objects.all())
    client.logout()
    client.post(waiting, {"code": code_in(mail.outbox[0])})
    signed_in(client, people.alice)
    listing = client.get("/admin/datarequests/datarequest/").content.decode()
    assert DataRequest.objects.get(customer=customer).reference in listing
    assert DataRequest.objects.get(customer=None).reference not in listing


def test_an_english_visitor_gets_the_page_and_the_mail_in_english(client, customer):
    page = submit(client, HTTP_ACCEPT_LANGUAGE="en").url
    text = client.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Please enter the code on this page within 30 minutes" in text
    [message] = mail.outbox
    assert "Your confirmation code" in message.subject
    assert re.search(r"Confirmation code: \d{6}", message.body)
