"""Every re-authentication point, met after the 10-minute window has passed, ends on a
page that works: a button (POST) brings the person back to a GET page that asks them to
press it once more, never a 405 from a GET to a POST-only URL, and nothing is done until
they do. The routes come from the access matrix (every URL of the project, with the
audiences the table says are asked to re-authenticate), so a new action cannot be missed;
``accounts.reauth.ACTIONS`` (filled by the decorator) must all be met on the way.
"""

import copy

import pytest
from django.db import transaction
from django.test import Client

from accounts import reauth
from exports import services
from exports.models import ExportRequest
from tests.factories import PASSWORD, entries_after, ledger_mark
from tests.shopguard import access_table as table
from tests.shopguard.test_access_matrix import PERSON_OF, Context, all_routes, concrete_path
from tests.shopguard.test_access_matrix import expected_for as access_expected
from tests.signing import enrol, signed_in

REAUTH_URL = "/admin/reauth/"
PRESS_AGAIN = "もう一度ボタンを押してください"
WINDOW = 10 * 60


def reauth_cases(route):
    """(audience, method) pairs of ``route`` that the table sends to re-authentication."""
    _model, expected = access_expected(route)
    return [
        (audience, method)
        for audience in table.ROLES
        for method in table.METHODS
        if expected[(audience, method)] == table.REAUTH
    ]


ROUTES = [route for route in all_routes() if reauth_cases(route)]


def expired_client(person, clock):
    """A client whose password was confirmed, then left for longer than the window."""
    client = signed_in(Client(), person, reauthenticated=True)
    clock.advance(WINDOW + 1)
    return client


def through_the_prompt(client, method, path, password=PASSWORD, **headers):
    """The request, the prompt it leads to, the password: (first response, the reply
    to the password)."""
    first = client.get(path, **headers) if method == "GET" else client.post(path, **headers)
    assert first.status_code == 302, (method, path, first.status_code)
    assert first["Location"].startswith(REAUTH_URL)
    prompt = client.get(first["Location"])
    assert prompt.status_code == 200
    data = {"password": password, "next": prompt.context["next"]}
    if prompt.context["again"]:
        data["again"] = "1"
    return first, client.post(first["Location"], data)


def land(client, reply):
    """Follow the prompt's redirect to the page it leads to."""
    assert reply.status_code == 302
    return client.get(reply["Location"])


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.key)
def test_every_reauth_point_ends_on_a_working_page(route, people, clock):
    model, _expected = access_expected(route)
    path = concrete_path(route.template, Context(people, model))
    wrong = []
    for audience, method in reauth_cases(route):
        client = expired_client(getattr(people, PERSON_OF[audience]), clock)
        mark = ledger_mark()
        first, reply = through_the_prompt(client, method, path)
        landing = land(client, reply)
        if method == "POST":
            # (The page landed on may record its own reading: customer.view, audit.read.)
            done = entries_after(mark).exclude(action__startswith="customer.view")
            if list(done.exclude(action="audit.read")):
                wrong.append(f"{audience} POST {path}: the refused button did something")
            # The page of the button, as it is for this person (the sample recovery-codes
            # page is 404 for people without an authenticator), with the message.
            shown = landing.status_code == 200 and PRESS_AGAIN in landing.text
            if not (shown or landing.status_code == 404):
                wrong.append(f"{audience} POST {path}: landed {landing.status_code}, no message")
        elif landing.status_code in (405, 500) or PRESS_AGAIN in landing.text:
            wrong.append(f"{audience} GET {path}: landed {landing.status_code}")
    assert not wrong, "\n" + "\n".join(wrong)


def first_reply(client, method, path):
    """One rolled-back request: the action name the decorator put on its redirect."""
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        response = client.get(path) if method == "GET" else client.post(path)
        transaction.set_rollback(True)
    client.cookies = cookies
    return getattr(response, "reauth_action", None)


def test_every_decorated_action_is_met_by_the_walk(people):
    clients = {}
    met = set()
    for route in ROUTES:
        model, _expected = access_expected(route)
        path = concrete_path(route.template, Context(people, model))
        for audience, method in reauth_cases(route):
            if audience not in clients:
                clients[audience] = signed_in(Client(), getattr(people, PERSON_OF[audience]))
            met.add(first_reply(clients[audience], method, path))
    # (Views that tests decorate for themselves are not the project's actions.)
    project = {name for name in reauth.ACTIONS if not name.startswith("tests.")}
    assert len(project) >= 7, sorted(project)
    assert project <= met, sorted(project - met)


def test_an_approval_after_the_window_comes_back_to_the_export_to_press_again(people, clock):
    export = ExportRequest.objects.create(
        requested_by=people.bob, purpose="お礼状", recipient="internal", fields=["name"]
    )
    detail = f"/admin/exports/{export.pk}/"
    client = expired_client(people.alice, clock)
    referer = f"http://testserver{detail}"
    decide = f"/admin/exports/{export.pk}/decide/"
    first, reply = through_the_prompt(client, "POST", decide, HTTP_REFERER=referer)
    assert reply["Location"] == detail
    landing = land(client, reply)
    assert landing.status_code == 200 and PRESS_AGAIN in landing.text
    export.refresh_from_db()
    assert export.status == ExportRequest.Status.PENDING
    # Pressed once more, within the new window: done.
    client.post(decide, {"decision": "approve"}, HTTP_REFERER=referer)
    export.refresh_from_db()
    assert export.status == ExportRequest.Status.APPROVED


def test_a_download_after_the_window_comes_back_to_the_export_not_the_password_page(people, clock):
    export = ExportRequest.objects.create(
        requested_by=people.bob, purpose="お礼状", recipient="internal", fields=["name"]
    )
    services.decide(export, people.alice, approve=True)
    client = expired_client(people.bob, clock)
    # The download button lives on the password page, itself the reply to a POST.
    referer = f"http://testserver/admin/exports/{export.pk}/prepare/"
    download = f"/admin/exports/{export.pk}/download/"
    first, reply = through_the_prompt(client, "POST", download, HTTP_REFERER=referer)
    landing = land(client, reply)
    assert reply["Location"] == f"/admin/exports/{export.pk}/"
    assert landing.status_code == 200 and PRESS_AGAIN in landing.text
    export.refresh_from_db()
    assert export.downloaded_at is None


def test_a_form_whose_referer_is_another_site_comes_back_to_the_form(people, clock):
    client = expired_client(people.alice, clock)
    page = f"/admin/auth/user/{people.carol.pk}/role/"
    first, reply = through_the_prompt(client, "POST", page, HTTP_REFERER="https://evil.example/")
    assert reply["Location"] == page
    landing = land(client, reply)
    assert landing.status_code == 200 and PRESS_AGAIN in landing.text
    assert 'name="role"' in landing.text


def test_a_people_admin_action_after_the_window_comes_back_to_the_list(people, clock):
    device, _codes = enrol(people.carol)
    client = expired_client(people.alice, clock)
    changelist = "/admin/auth/user/"
    data = {"action": "reset_two_factor", "_selected_action": [people.carol.pk]}
    first = client.post(changelist, data, HTTP_REFERER=f"http://testserver{changelist}")
    assert first["Location"].startswith(REAUTH_URL)
    prompt = client.get(first["Location"])
    reply = client.post(
        first["Location"], {"password": PASSWORD, "next": prompt.context["next"], "again": "1"}
    )
    assert reply["Location"] == changelist
    landing = land(client, reply)
    assert landing.status_code == 200 and PRESS_AGAIN in landing.text
    assert type(device).objects.filter(pk=device.pk).exists()


def test_a_wrong_password_in_the_prompt_does_nothing_and_is_recorded(people, clock):
    export = ExportRequest.objects.create(
        requested_by=people.bob, purpose="お礼状", recipient="internal", fields=["name"]
    )
    client = expired_client(people.alice, clock)
    decide = f"/admin/exports/{export.pk}/decide/"
    mark = ledger_mark()
    first, reply = through_the_prompt(
        client, "POST", decide, password="not the password", HTTP_REFERER="http://testserver/"
    )
    assert reply.status_code == 200
    assert "パスワードが正しくありません。" in reply.text
    assert reauth.SESSION_KEY not in client.session or not reauth.recently_reauthenticated(
        reply.wsgi_request
    )
    export.refresh_from_db()
    assert export.status == ExportRequest.Status.PENDING
    actions = [entry.action for entry in entries_after(mark)]
    assert actions == ["auth.sign_in_failed"]
