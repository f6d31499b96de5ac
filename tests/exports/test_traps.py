"""Exports without traps (issue #23): the scope never widens, a waiting request can be
withdrawn or cancelled, and the second check is a second person, not a rank.

Each test here fails on the main before issue #23: the form preselected 「すべての顧客」
after a selection, nothing ended a waiting request, and a manager could never check the
only owner's request (403 on the decision)."""

import pytest

from accounts import rules
from audit.models import AuditEntry
from customers.models import Customer
from exports import services
from exports.admin_actions import SELECTED_SESSION_KEY
from exports.models import ExportRequest
from tests.exports.helpers import decide, latest, new_request
from tests.factories import make_person
from tests.signing import signed_in
from vault.roles import MANAGER, OWNER

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    """Eight customers, of whom a test ticks five."""
    return [Customer.objects.create(name=f"顧客 {n}", email=f"c{n}@example.com") for n in range(8)]


def choose(client, customers):
    session = client.session
    session[SELECTED_SESSION_KEY] = [str(c.pk) for c in customers]
    session.save()


def withdraw(client, export):
    return client.post(f"/admin/exports/{export.pk}/withdraw/")


# The scope -----------------------------------------------------------------------------


def test_the_selected_customers_stay_the_scope_of_the_form(client, people, shop):
    signed_in(client, people.bob, reauthenticated=True)
    choose(client, shop[:5])

    response = client.get("/admin/exports/new/")

    assert response.status_code == 200
    assert response.context["form"]["scope"].value() == "selected"
    page = response.content.decode()
    assert "顧客一覧で選んだ5人の顧客が対象です" in page


def test_a_request_for_selected_customers_names_them_in_words_for_the_checker(client, people, shop):
    signed_in(client, people.bob, reauthenticated=True)
    choose(client, shop[:5])
    assert new_request(client, scope="selected").status_code == 302
    export = latest()
    assert export.customer_count == 5 and len(export.customer_ids) == 5

    owner = signed_in(client.__class__(), people.alice, reauthenticated=True)
    page = owner.get(f"/admin/exports/{export.pk}/").content.decode()

    assert "顧客一覧で選んだ顧客（5人）" in page
    assert "年末のお礼状の発送" in page  # the purpose
    assert "氏名" in page and "メールアドレス" in page  # the fields


# Withdraw and cancel ------------------------------------------------------------------


def test_the_requester_withdraws_a_waiting_request(client, people, shop):
    new_request(signed_in(client, people.bob, reauthenticated=True))
    export = latest()
    assert "export-withdraw" in client.get(f"/admin/exports/{export.pk}/").content.decode()

    response = withdraw(client, export)

    assert response.status_code == 302
    export.refresh_from_db()
    assert export.status == ExportRequest.Status.WITHDRAWN and not export.self_approved
    entry = AuditEntry.objects.get(action="export.withdraw")
    assert entry.actor_id == people.bob.pk and entry.outcome == "ok"
    # Withdrawn is final: nobody approves it afterwards.
    owner = signed_in(client.__class__(), people.alice, reauthenticated=True)
    assert decide(owner, export).status_code == 409
    assert latest().status == ExportRequest.Status.WITHDRAWN


def test_an_owner_cancels_someone_elses_waiting_request(client, people, shop):
    new_request(signed_in(client, people.bob, reauthenticated=True))
    export = latest()
    owner = signed_in(client.__class__(), people.alice, reauthenticated=True)

    assert withdraw(owner, export).status_code == 302

    export.refresh_from_db()
    assert export.status == ExportRequest.Status.CANCELLED and export.decided_by == people.alice
    assert AuditEntry.objects.get(action="export.cancel").actor_id == people.alice.pk


def test_a_manager_cannot_cancel_another_managers_request(client, people, shop):
    other_manager = make_person("mika", MANAGER)
    new_request(signed_in(client, people.bob, reauthenticated=True))
    export = latest()

    response = withdraw(signed_in(client.__class__(), other_manager), export)

    assert response.status_code == 404  # not theirs to know of
    assert latest().status == "pending"


@pytest.mark.parametrize("who", ["carol", "dave", "erin"])
def test_staff_auditors_and_outsiders_cannot_withdraw(client, people, shop, who):
    new_request(signed_in(client, people.bob, reauthenticated=True))
    export = latest()
    response = withdraw(signed_in(client.__class__(), getattr(people, who)), export)
    assert response.status_code == 403
    assert latest().status == "pending"


def test_a_decided_request_cannot_be_withdrawn(client, people, shop):
    new_request(signed_in(client, people.bob, reauthenticated=True))
    export = latest()
    decide(signed_in(client.__class__(), people.alice, reauthenticated=True), export)

    response = withdraw(client, export)

    assert response.status_code == 409
    assert latest().status == "approved"
    refused = AuditEntry.objects.get(action="export.withdraw", outcome="refused")
    assert refused.detail == {"reason": "not_pending"}


# The second person -----------------------------------------------------------------------


def test_the_only_owners_request_is_checked_by_the_manager(client, people, shop):
    """alice is the shop's only owner and bob its manager: her request is his to check."""
    new_request(signed_in(client, people.alice, reauthenticated=True))
    export = latest()
    manager = signed_in(client.__class__(), people.bob)

    page = manager.get(f"/admin/exports/{export.pk}/")
    assert page.status_code == 200 and "export-decide" in page.content.decode()
    assert [w["id"] for w in services.awaiting_approval_for(people.bob)] == [str(export.pk)]

    # The checker confirms their password first.
    response = decide(manager, export)
    assert response.status_code == 302 and response.url.startswith("/admin/reauth/")
    assert latest().status == "pending"

    assert decide(signed_in(manager, people.bob, reauthenticated=True), export).status_code == 302
    export.refresh_from_db()
    assert export.status == "approved" and export.decided_by == people.bob
    assert not export.self_approved


def test_with_another_owner_the_manager_does_not_check_an_owners_request(client, people, shop):
    make_person("olivia", OWNER)
    new_request(signed_in(client, people.alice, reauthenticated=True))
    export = latest()

    response = decide(signed_in(client.__class__(), people.bob, reauthenticated=True), export)

    assert response.status_code == 404
    assert latest().status == "pending"
    assert not rules.may_second_check(people.bob, people.alice.pk)


def test_a_managers_request_is_never_checked_by_another_manager(client, people, shop):
    other_manager = make_person("mika", MANAGER)
    new_request(signed_in(client, people.bob, reauthenticated=True))
    export = latest()
    assert not rules.may_second_check(other_manager, people.bob.pk)
    with pytest.raises(services.ExportRefused):
        services.decide(export, other_manager, approve=True)
    assert latest().status == "pending"


def test_an_inactive_owner_does_not_take_the_managers_place(client, people, shop):
    make_person("former", OWNER, active=False)
    assert rules.may_second_check(people.bob, people.alice.pk)


def test_the_manager_checks_an_owners_request_while_the_other_owner_cools_off(client, people, shop):
    """alice's only other owner was just made owner (cooling off): her request no longer
    waits for the period to end; bob, the manager, checks it."""
    from accounts import people as accounts_people

    newcomer = make_person("mallory", MANAGER)
    accounts_people.change_role(people.alice, newcomer, OWNER)
    new_request(signed_in(client, people.alice, reauthenticated=True))
    export = latest()
    manager = signed_in(client.__class__(), people.bob, reauthenticated=True)

    assert [w["id"] for w in services.awaiting_approval_for(people.bob)] == [str(export.pk)]
    assert decide(manager, export).status_code == 302
    export.refresh_from_db()
    assert export.status == "approved" and export.decided_by == people.bob
    assert not export.self_approved
