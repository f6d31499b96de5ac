"""Two people, always, where there are two (issue #14): who may approve which request."""

import pytest

from accounts import rules
from audit.models import AuditEntry
from customers.models import Customer
from exports import services
from exports.models import ExportRequest
from tests.exports.helpers import decide, latest, new_request
from tests.factories import make_person
from tests.signing import signed_in
from vault.roles import OWNER

pytestmark = pytest.mark.django_db
SENTENCE = "私が一人で承認します"


@pytest.fixture
def customers_(db):
    Customer.objects.create(name="山田 花子", email="hanako@example.com")


@pytest.fixture
def sole_owner(db):
    """A one-owner shop: the owner is its only privileged person."""
    return make_person("solo", OWNER)


def refusals(action):
    return AuditEntry.objects.filter(action=action, outcome="refused")


# The two-owner shop ------------------------------------------------------------------


def test_in_a_two_owner_shop_an_owner_request_waits_for_the_other_owner(client, people, customers_):
    other_owner = make_person("olivia", OWNER)
    new_request(signed_in(client, people.alice, reauthenticated=True))
    export = latest()
    assert export.status == "pending"

    response = decide(client, export)  # her own

    assert response.status_code == 409 and "自分の申請は承認できません" in response.content.decode()
    export.refresh_from_db()
    assert export.status == "pending" and export.decided_by is None
    assert refusals("export.approve").get().detail == {"reason": "own_request"}

    assert (
        decide(signed_in(client.__class__(), other_owner, reauthenticated=True), export).status_code
        == 302
    )
    export.refresh_from_db()
    assert export.status == "approved" and export.decided_by == other_owner
    assert not export.self_approved
    entry = AuditEntry.objects.get(action="export.approve", outcome="ok")
    assert entry.detail["self_approved"] is False


def test_the_self_approval_form_is_not_offered_where_another_approver_exists(
    client, people, customers_
):
    new_request(signed_in(client, people.alice, reauthenticated=True))
    page = client.get(f"/admin/exports/{latest().pk}/").content.decode()
    assert "export-self-approve" not in page and "export-decide" not in page
    # Even typing the sentence does not help while bob (a manager) is active.
    response = decide(client, latest(), confirmation=SENTENCE)
    assert response.status_code == 409
    assert latest().status == "pending"


def test_a_manager_request_is_approved_by_an_owner_and_never_by_a_manager(
    client, people, customers_
):
    new_request(signed_in(client, people.bob, reauthenticated=True))
    export = latest()
    # His own request: refused by the rule (the second person is someone else), recorded.
    assert decide(client, export).status_code == 409
    assert refusals("export.approve").get().detail == {"reason": "own_request"}
    with pytest.raises(services.ExportRefused):
        services.decide(export, people.bob, approve=True, confirmation=SENTENCE)
    assert (
        decide(
            signed_in(client.__class__(), people.alice, reauthenticated=True), export
        ).status_code
        == 302
    )
    assert ExportRequest.objects.get().status == "approved"


@pytest.mark.parametrize("who", ["carol", "dave", "erin"])
def test_staff_auditor_and_outsiders_cannot_decide(client, people, customers_, who):
    new_request(signed_in(client, people.bob, reauthenticated=True))
    export = latest()
    response = decide(
        signed_in(client.__class__(), getattr(people, who), reauthenticated=True), export
    )
    assert response.status_code == 403
    assert latest().status == "pending"


def test_anonymous_people_cannot_decide(client, people, customers_):
    new_request(signed_in(client, people.bob, reauthenticated=True))
    response = decide(client.__class__(), latest())
    assert response.status_code == 302 and "/login/" in response.url
    assert latest().status == "pending"


# The one-owner shop ------------------------------------------------------------------


def test_the_sole_owner_self_approves_after_reauth_and_the_typed_sentence(
    client, sole_owner, customers_
):
    new_request(signed_in(client, sole_owner, reauthenticated=True))
    export = latest()
    assert export.status == "pending"
    page = client.get(f"/admin/exports/{export.pk}/").content.decode()
    assert "export-self-approve" in page and SENTENCE in page

    response = decide(client, export, confirmation=SENTENCE)

    assert response.status_code == 302
    export.refresh_from_db()
    assert export.status == "approved" and export.self_approved
    assert export.decided_by == sole_owner
    entry = AuditEntry.objects.get(action="export.approve", outcome="ok")
    assert entry.detail["self_approved"] is True
    listing = client.get("/admin/exports/").content.decode()
    assert "自己承認" in listing
    ledger = client.get("/admin/exports/ledger/").content.decode()
    assert "自己承認" in ledger
    assert services.recent_exports()[0]["self_approved"] is True


def test_self_approval_without_the_sentence_is_refused(client, sole_owner, customers_):
    new_request(signed_in(client, sole_owner, reauthenticated=True))
    export = latest()
    response = decide(client, export, confirmation="はい")
    assert response.status_code == 409 and "確認の文" in response.content.decode()
    export.refresh_from_db()
    assert export.status == "pending" and not export.self_approved
    assert refusals("export.approve").get().detail == {"reason": "no_confirmation"}


def test_self_approval_asks_for_the_password_first(client, sole_owner, customers_):
    new_request(signed_in(client, sole_owner, reauthenticated=True))
    export = latest()
    session = client.session
    session.pop("reauthenticated_at")
    session.save()
    response = decide(client, export, confirmation=SENTENCE)
    assert response.status_code == 302 and response.url.startswith("/admin/reauth/")
    assert latest().status == "pending"


def test_the_sole_owner_cannot_self_approve_once_a_manager_is_active(
    client, sole_owner, customers_
):
    new_request(signed_in(client, sole_owner, reauthenticated=True))
    make_person("mika", "manager")
    response = decide(client, latest(), confirmation=SENTENCE)
    assert response.status_code == 409 and latest().status == "pending"


def test_an_inactive_manager_does_not_count_as_a_second_person(client, sole_owner, customers_):
    make_person("former", "manager", active=False)
    assert rules.may_self_approve(sole_owner)


def test_the_home_page_facts_show_what_awaits_each_person(client, people, customers_):
    other_owner = make_person("olivia", OWNER)
    new_request(signed_in(client, people.alice, reauthenticated=True))
    assert services.awaiting_approval_for(people.alice) == []
    waiting = services.awaiting_approval_for(other_owner)
    assert [w["requested_by"] for w in waiting] == ["alice"]
    assert waiting[0]["customer_count"] == 1 and waiting[0]["self_approved"] is False
    assert services.awaiting_approval_for(people.bob) == []
