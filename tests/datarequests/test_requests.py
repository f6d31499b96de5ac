import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection

from audit.models import AuditEntry
from customers.models import Customer
from datarequests.models import DataRequest
from datarequests.views import REQUESTS_PER_HOUR
from tests.factories import entries_after, ledger_mark
from tests.signing import signed_in
from vault.encryption import current_key_id, key_id_of

# The tests check stored values themselves; requests still start outside any scope.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_reads")]


FORM = "/privacy/requests/"
MARKER = {
    "kind": "correct",
    "name": "目印 花子",
    "email": "marker-hanako@example.com",
    "phone": "090-1234-5678",
    "details": "住所を新しいものに直してください。",
}


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


def submit(client, **overrides):
    return client.post(FORM, {**MARKER, **overrides})


def mailed_code(message):
    return re.search(r"ご本人確認コード: (\d{6})", message.body).group(1)


def submit_verified(client, **overrides):
    """A request from a customer's address, with the mailed code entered: in the queue."""
    email = overrides.get("email", MARKER["email"])
    if not Customer.objects.exists():
        Customer.objects.create(name="目印 花子", email=email)
    page = submit(client, **overrides).url
    client.post(page, {"code": mailed_code(mail.outbox[-1])})
    request = DataRequest.objects.get(reference=page_reference(client, page))
    assert request.step == "identity_confirmed"
    return request


def page_reference(client, page):
    return re.search(r"REQ-[0-9A-F]{8}", client.get(page).content.decode()).group(0)


def test_a_customer_submits_a_request_and_gets_a_reference(client, version1):
    assert client.get(FORM).status_code == 200
    response = submit(client)
    assert response.status_code == 302 and response.url.startswith("/privacy/requests/received/")
    request = DataRequest.objects.get()
    done = client.get(response.url)
    assert done.status_code == 200 and request.reference in done.content.decode()
    # A reload shows it again, and the address carries nothing the customer typed.
    assert request.reference in client.get(response.url).content.decode()
    assert "marker" not in response.url and "%40" not in response.url
    assert request.step == "received" and request.kind == "correct"
    assert request.email == MARKER["email"]
    entry = AuditEntry.objects.get(action="policy.data_request")
    assert entry.detail == {
        "step": "received",
        "kind": "correct",
        "fields": [
            "code_attempts", "code_expires_at", "code_hash", "details", "email", "kind", "name",
            "phone", "received_at", "reference", "step",
        ],
    }  # fmt: skip
    assert not AuditEntry.objects.filter(action="model.create", target_id=str(request.pk))
    assert "marker" not in str(entry.detail) and entry.actor_username == ""


def test_the_name_and_phone_are_folded_as_typed_in_japanese(client, version1):
    response = submit(client, name="ﾒｼﾞﾙｼ ﾊﾅｺ", phone="０９０ー１２３４ー５６７８")
    assert response.status_code == 302
    request = DataRequest.objects.get()
    assert request.name == "メジルシ ハナコ"  # half-width kana to full width
    assert request.phone == "090-1234-5678"  # full-width digits and ー to half width


def test_contact_details_are_stored_encrypted(client, version1):
    submit(client)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, email, phone, details FROM datarequests_datarequest")
        row = cursor.fetchone()
    assert all(key_id_of(value) == current_key_id() for value in row)
    stored = b" ".join(bytes(value) for value in row)
    assert b"marker" not in stored and "目印".encode() not in stored


def test_a_bad_request_changes_nothing(client, version1):
    mark = ledger_mark()
    response = submit(client, email="not-an-email", details="4242 4242 4242 4242")
    assert response.status_code == 200
    assert "カード番号のような数字は保存できません" in response.content.decode()
    assert not DataRequest.objects.exists()
    assert not entries_after(mark).exists()


def test_html_typed_into_the_form_is_escaped_when_shown_back(client, version1):
    response = submit(client, email="<script>bad()</script>")
    assert "<script>bad()" not in response.content.decode()


def test_requests_are_limited_per_ip_address(client, version1):
    for n in range(REQUESTS_PER_HOUR):
        assert submit(client, email=f"sender{n}@example.com").status_code == 302
    cache.clear()  # another worker process, or a restart: the count is not in memory
    assert submit(client, email="another@example.com").status_code == 429
    assert DataRequest.objects.count() == REQUESTS_PER_HOUR
    # Another address is not limited by this one.
    assert client.post(FORM, MARKER, REMOTE_ADDR="203.0.113.9").status_code == 302


def test_the_request_limit_is_per_hour(client, version1, clock):
    for n in range(REQUESTS_PER_HOUR):
        assert submit(client, email=f"sender{n}@example.com").status_code == 302
    clock.advance(60 * 60 + 1)
    assert submit(client, email="later@example.com").status_code == 302


def test_the_owner_lists_and_advances_requests(client, people, version1):
    request = submit_verified(client)
    signed_in(client, people.alice)
    listing = client.get("/admin/datarequests/datarequest/")
    assert listing.status_code == 200
    assert request.reference in listing.content.decode()
    assert "marker-hanako" not in listing.content.decode()
    detail = client.get(f"/admin/datarequests/datarequest/{request.pk}/change/")
    assert detail.status_code == 200 and "m***@example.com" in detail.content.decode()
    assert "marker-hanako@example.com" not in detail.content.decode()
    assert AuditEntry.objects.filter(action="policy.data_request_view").count() == 1
    advance = f"/admin/datarequests/datarequest/{request.pk}/advance/"
    assert client.post(advance).status_code == 302
    request.refresh_from_db()
    assert request.step == "in_progress"
    assert client.post(advance).status_code == 302
    request.refresh_from_db()
    assert request.step == "done" and request.done_at is not None
    assert request.done_by == people.alice
    steps = [
        e.detail["step"]
        for e in AuditEntry.objects.filter(action="policy.data_request_step").order_by("seq")
    ]
    assert steps == ["identity_confirmed", "in_progress", "done"]
    client.post(advance)
    assert AuditEntry.objects.filter(action="policy.data_request_step").count() == 3
    assert AuditEntry.objects.filter(action="policy.data_request").count() == 1


def test_the_owners_own_work_never_counts_against_the_public_limit(client, people, version1):
    request = submit_verified(client)
    signed_in(client, people.alice)  # from the same address as the public form's sender
    change = f"/admin/datarequests/datarequest/{request.pk}/change/"
    for n in range(REQUESTS_PER_HOUR):
        client.post(change, {"note": f"対応メモ {n}", "customer": ""})
    client.post(f"/admin/datarequests/datarequest/{request.pk}/advance/")
    # The customer's identity check, the five notes and the step.
    assert AuditEntry.objects.filter(action="policy.data_request_step").count() == 7
    client.logout()
    for n in range(REQUESTS_PER_HOUR - 1):
        assert submit(client, email=f"sender{n}@example.com").status_code == 302


@pytest.mark.parametrize("name", ["carol", "dave"])
def test_other_roles_cannot_see_or_advance_requests(client, people, version1, name):
    request = submit_verified(client)
    signed_in(client, getattr(people, name))
    assert client.get(f"/admin/datarequests/datarequest/{request.pk}/change/").status_code == 403
    assert client.post(f"/admin/datarequests/datarequest/{request.pk}/advance/").status_code == 403
    assert DataRequest.objects.get().step == "identity_confirmed"
    assert not AuditEntry.objects.filter(action="policy.data_request_view").exists()


def test_anonymous_cannot_advance_requests(client, version1):
    request = submit_verified(client)
    response = client.post(f"/admin/datarequests/datarequest/{request.pk}/advance/")
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert DataRequest.objects.get().step == "identity_confirmed"


def test_the_request_page_masks_contact_details_and_reveals_them_with_a_reason(
    client, people, version1
):
    request = submit_verified(client)
    customer = Customer.objects.get()
    assert request.customer == customer
    signed_in(client, people.alice)
    mark = ledger_mark()
    page = client.get(f"/admin/datarequests/datarequest/{request.pk}/change/").content.decode()
    assert MARKER["email"] not in page and MARKER["name"] not in page
    assert "m***@example.com" in page and "目印 **" in page
    reveal = f"/admin/datarequests/datarequest/{request.pk}/reveal/email/"
    assert reveal in page
    viewed = entries_after(mark).get(action="policy.data_request_view")
    assert viewed.customer_ids == [str(customer.pk)]
    # No reason, no value; with one, the value and an entry naming the linked customer.
    refused = client.post(reveal, {"reason_code": "other"})
    assert MARKER["email"] not in refused.content.decode()
    assert not entries_after(mark).filter(action="policy.data_request_reveal").exists()
    shown = client.post(reveal, {"reason_code": "inquiry"})
    assert shown.status_code == 200 and MARKER["email"] in shown.content.decode()
    entry = entries_after(mark).get(action="policy.data_request_reveal")
    assert entry.customer_ids == [str(customer.pk)]
    assert entry.detail == {"field": "email", "reason": "inquiry"}
    assert entry.target_id == str(request.pk)
    for role in (people.carol, people.dave):
        client.force_login(role)
        assert client.post(reveal, {"reason_code": "inquiry"}).status_code == 403


def test_the_owners_note_refuses_a_card_number(client, people, version1, test_reads):
    request = submit_verified(client)
    signed_in(client, people.alice)
    change = f"/admin/datarequests/datarequest/{request.pk}/change/"
    response = client.post(change, {"note": "カード 4242-4242-4242-4242", "customer": ""})
    assert response.status_code == 200 and "カード番号" in response.content.decode()
    request.refresh_from_db()
    assert request.note == ""


def test_the_form_preselects_no_kind_and_offers_no_blank_choice(client, version1):
    page = client.get(FORM).content.decode()
    assert "---------" not in page
    assert 'name="kind" value=""' not in page and "checked" not in page
    response = submit(client, kind="")
    assert response.status_code == 200 and not DataRequest.objects.exists()


def test_the_reference_page_refuses_a_forged_or_old_token(client, version1, clock):
    url = submit(client).url
    assert client.get(url[:-3] + "xx/").status_code == 404
    clock.advance(60 * 60 * 24 + 1)
    assert client.get(url).status_code == 404
