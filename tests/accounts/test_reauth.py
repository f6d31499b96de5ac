import time

from django.http import HttpResponse
from django.test import RequestFactory

from accounts import twofactor
from accounts.reauth import SESSION_KEY, recently_reauthenticated, require_recent_auth
from audit.models import AuditEntry
from tests.factories import PASSWORD
from tests.signing import enrol, reauthenticate, sign_in_with_code

REAUTH_URL = "/admin/reauth/"


def role_page(user):
    return f"/admin/auth/user/{user.pk}/role/"


def test_reauth_needs_a_signed_in_person(client, people):
    response = client.get(REAUTH_URL)
    assert response["Location"].startswith("/admin/login/")


def test_reauth_with_the_password_when_there_is_no_authenticator(client, people):
    client.force_login(people.alice)
    target = role_page(people.carol)
    response = client.post(REAUTH_URL, {"password": PASSWORD, "next": target})
    assert response.status_code == 302 and response["Location"] == target
    assert SESSION_KEY in client.session
    assert client.get(target).status_code == 200


def test_reauth_refuses_a_wrong_password(client, people):
    client.force_login(people.alice)
    response = client.post(REAUTH_URL, {"password": "not the password"})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_reauth_needs_the_second_factor_from_people_who_have_one(client, people, clock):
    device, _ = enrol(people.alice)
    sign_in_with_code(client, people.alice, device)
    response = client.post(REAUTH_URL, {"password": PASSWORD, "code": "000000"})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    entry = AuditEntry.objects.get(action="auth.2fa_failed")
    assert entry.detail == {"step": "reauth"} and entry.actor_id == people.alice.pk
    # The code just used to sign in is spent; the next one works.
    clock.advance(30)
    code = twofactor.current_code(device)
    response = client.post(REAUTH_URL, {"password": PASSWORD, "code": code})
    assert response.status_code == 302
    assert SESSION_KEY in client.session


def test_reauth_does_not_spend_the_code_on_a_wrong_password(client, people, clock):
    device, _ = enrol(people.alice)
    sign_in_with_code(client, people.alice, device)
    clock.advance(30)
    code = twofactor.current_code(device)
    client.post(REAUTH_URL, {"password": "wrong", "code": code})
    response = client.post(REAUTH_URL, {"password": PASSWORD, "code": code})
    assert response.status_code == 302


def test_reauth_never_sends_people_off_site(client, people):
    client.force_login(people.alice)
    response = client.post(REAUTH_URL, {"password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/admin/"


def test_reauthentication_lasts_ten_minutes(client, people, clock):
    client.force_login(people.alice)
    reauthenticate(client)
    target = role_page(people.carol)
    clock.advance(10 * 60 - 1)
    assert client.get(target).status_code == 200
    clock.advance(2)
    response = client.get(target)
    assert response.status_code == 302
    assert response["Location"].startswith(REAUTH_URL)


def test_require_recent_auth_sends_people_to_reauth_and_back(people, clock):
    @require_recent_auth
    def export(request):
        return HttpResponse("exported")

    request = RequestFactory().get("/exports/7/approve/")
    request.user = people.alice
    request.session = {}
    response = export(request)
    assert response.status_code == 302
    assert response["Location"] == "/admin/reauth/?next=%2Fexports%2F7%2Fapprove%2F"
    # A button is not replayed by a redirect: back to the page it was on, to press again.
    button = RequestFactory().post("/exports/7/approve/", HTTP_REFERER="http://testserver/x/")
    button.user, button.session = people.alice, request.session
    assert export(button)["Location"] == "/admin/reauth/?next=%2Fx%2F&again=1"
    assert not recently_reauthenticated(request)
    request.session[SESSION_KEY] = time.time()
    assert export(request).content == b"exported"
    clock.advance(601)
    assert export(request).status_code == 302


def test_recovery_codes_can_be_renewed_after_reauthentication(client, people):
    device, old_codes = enrol(people.carol)
    client.force_login(people.carol)
    assert client.get("/admin/two-factor/recovery-codes/")["Location"].startswith(REAUTH_URL)
    reauthenticate(client)
    response = client.post("/admin/two-factor/recovery-codes/")
    assert response.status_code == 200
    assert old_codes[0] not in response.text
    assert AuditEntry.objects.filter(action="auth.recovery_codes_renewed").exists()
