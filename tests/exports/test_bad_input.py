"""Bad input on exports (issue #14): each refused with a page saying why, changing
nothing, and leaving a refusal entry in the ledger."""

import pytest

from audit.models import AuditEntry
from customers.models import Customer
from exports import services
from exports.models import ExportRequest
from tests.exports.helpers import decide, download, latest, new_request
from tests.factories import make_person
from tests.signing import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers_(db):
    Customer.objects.create(name="山田 花子", email="hanako@example.com")


@pytest.fixture
def bobs_request(client, people, customers_):
    new_request(signed_in(client, people.bob, reauthenticated=True))
    return latest()


@pytest.fixture
def owner(client, people):
    return signed_in(client.__class__(), people.alice, reauthenticated=True)


def refused(action, reason=None):
    entries = AuditEntry.objects.filter(action=action, outcome="refused")
    return [e for e in entries if reason is None or e.detail.get("reason") == reason]


def is_page(response, text):
    body = response.content.decode()
    return "<html" in body and text in body


def test_approving_twice_is_refused(owner, bobs_request):
    assert decide(owner, bobs_request).status_code == 302
    response = decide(owner, bobs_request)
    assert response.status_code == 409 and is_page(response, "承認済み")
    assert AuditEntry.objects.filter(action="export.approve", outcome="ok").count() == 1
    assert refused("export.approve", "not_pending")


def test_approving_a_rejected_request_is_refused(owner, bobs_request):
    decide(owner, bobs_request, "reject")
    response = decide(owner, bobs_request)
    assert response.status_code == 409 and is_page(response, "却下")
    assert latest().status == "rejected"
    assert refused("export.approve", "not_pending")


def test_approving_an_expired_request_is_refused(owner, bobs_request, clock):
    decide(owner, bobs_request)
    clock.advance(25 * 3600)
    signed_in(owner, ExportRequest.objects.get().decided_by, reauthenticated=True)
    response = decide(owner, bobs_request)
    assert response.status_code == 409 and is_page(response, "期限切れ")
    assert latest().status == "expired"
    assert refused("export.approve", "not_pending")


def test_downloading_someone_elses_export_is_refused(client, people, owner, bobs_request):
    decide(owner, bobs_request)
    response = owner.post(f"/admin/exports/{bobs_request.pk}/prepare/")
    assert response.status_code == 409 and is_page(response, "申請した本人だけ")
    other_manager = signed_in(
        client.__class__(), make_person("mika", "manager"), reauthenticated=True
    )
    response = other_manager.post(f"/admin/exports/{bobs_request.pk}/prepare/")
    assert response.status_code == 404 and is_page(response, "見つかりません")
    assert latest().status == "approved"
    assert refused("export.download", "not_requester")
    assert refused("access.refused", "unknown_export")


def test_downloading_twice_is_refused(client, owner, bobs_request):
    decide(owner, bobs_request)
    response, _password = download(client, bobs_request)
    assert response.status_code == 200
    b"".join(response.streaming_content)
    response = client.post(f"/admin/exports/{bobs_request.pk}/prepare/")
    assert response.status_code == 409 and is_page(response, "すでにダウンロード")
    assert AuditEntry.objects.filter(action="export.download", outcome="ok").count() == 1
    assert refused("export.download", "downloaded")


def test_downloading_after_expiry_is_refused_even_with_the_password_shown(
    client, owner, bobs_request, clock
):
    decide(owner, bobs_request)
    client.post(f"/admin/exports/{bobs_request.pk}/prepare/")  # password shown in time
    clock.advance(25 * 3600)
    signed_in(client, bobs_request.requested_by, reauthenticated=True)
    response = client.post(f"/admin/exports/{bobs_request.pk}/download/")
    assert response.status_code in (400, 409) and is_page(response, "できませんでした")
    assert latest().status == "expired"
    assert not AuditEntry.objects.filter(action="export.download", outcome="ok").exists()


def test_downloading_a_pending_request_is_refused(client, bobs_request):
    response = client.post(f"/admin/exports/{bobs_request.pk}/prepare/")
    assert response.status_code == 409 and is_page(response, "承認されていません")
    assert refused("export.download", "not_approved")


# An id no export has (fixed: parallel workers must collect the same tests).
@pytest.mark.parametrize(
    "altered", ["7d0c6f3e-5b1a-4c2d-9e8f-0a1b2c3d4e5f", "not-an-id", "1%20OR%201=1"]
)
def test_an_altered_id_is_refused(client, bobs_request, altered):
    for url in (f"/admin/exports/{altered}/", f"/admin/exports/{altered}/prepare/"):
        response = client.get(url) if url.endswith("s/" + altered + "/") else client.post(url)
        assert response.status_code == 404 and is_page(response, "見つかりません")
    assert len(refused("access.refused", "unknown_export")) == 2
    assert latest().status == "pending"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"fields": ["name", "card_token"]}, "invalid_choice"),
        ({"fields": ["name", "favourite_colour"]}, "invalid_choice"),
        ({"scope": "everyone_i_know"}, "invalid_choice"),
        ({"scope": "selected"}, "invalid_choice"),  # nothing was selected in the list
        ({"scope": "purchases", "categories": ["no-such-category"]}, "invalid_choice"),
        (
            {"scope": "purchases", "purchases_from": "2001-01-01", "purchases_to": "2001-01-02"},
            "empty",
        ),
        ({"purpose": "hanako@example.com に送る"}, "purpose"),
        ({"purpose": "090-1234-5678 の方へ"}, "purpose"),
    ],
)
def test_a_bad_request_is_refused_with_the_form_and_recorded(
    client, people, customers_, changes, code
):
    response = new_request(signed_in(client, people.bob, reauthenticated=True), **changes)
    assert response.status_code == 400 and is_page(response, "errorlist")
    assert not ExportRequest.objects.exists()
    [entry] = refused("export.request")
    assert code in entry.detail["reason"]
    assert "hanako" not in str(entry.detail) and "090" not in str(entry.detail)


def test_a_selection_of_zero_customers_is_refused(people, customers_):
    with pytest.raises(Exception, match="0人"):
        services.scope_customer_ids("selected", selected=[])
