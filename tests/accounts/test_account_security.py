"""Issue #11, finding 1: a borrowed owner session (signed in, no recent re-authentication)
cannot take the account over by setting the owner's password or resetting a second factor.

Every account-security action needs re-authentication first; one's own password also
needs the current one; and a password change or a reset spends the re-authentication.
"""

import html
import json
import re

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from accounts.reauth import SESSION_KEY
from audit.models import AuditEntry
from tests.factories import PASSWORD, entries_after, ledger_mark
from tests.signing import enrol, reauthenticate, sign_in_with_code, signed_in

User = get_user_model()
NEW_PASSWORD = "another long passphrase 42"
OWN_PASSWORD_URL = "/admin/password_change/"
PEOPLE_URL = "/admin/auth/user/"
REAUTH_URL = "/admin/reauth/"


def password_url(user):
    return f"/admin/auth/user/{user.pk}/password/"


def role_url(user):
    return f"/admin/auth/user/{user.pk}/role/"


def set_password(client, user, password=NEW_PASSWORD):
    """The people admin's password form, as the owner's browser sends it."""
    return client.post(
        password_url(user),
        {"password1": password, "password2": password, "usable_password": "true"},
    )


def change_own_password(client, old=PASSWORD, new=NEW_PASSWORD):
    data = {"new_password1": new, "new_password2": new}
    if old is not None:
        data["old_password"] = old
    return client.post(OWN_PASSWORD_URL, data)


def reset_two_factor(client, *users):
    return client.post(
        PEOPLE_URL,
        {"action": "reset_two_factor", "_selected_action": [user.pk for user in users]},
    )


def password_is(user, password):
    return User.objects.get(pk=user.pk).check_password(password)


def entries(action):
    return AuditEntry.objects.filter(action=action)


def goes_to_reauth(response, next_url=None):
    location = response.get("Location", "") if response.status_code == 302 else ""
    if next_url is None:
        return location.startswith(f"{REAUTH_URL}?next=")
    expected = f"{REAUTH_URL}?next={next_url.replace('/', '%2F')}"
    # A refused button comes back to its page to be pressed again ("again").
    return location in (expected, f"{expected}&again=1")


def borrowed_owner_session(client, people, clock):
    """The owner's own browser, signed in with both factors some time ago."""
    device, _ = enrol(people.alice)
    sign_in_with_code(client, people.alice, device)
    clock.advance(30)  # the sign-in code is spent; the next one is the owner's to give
    return device


# One's own password -------------------------------------------------------------------


def test_a_borrowed_session_cannot_set_the_owners_own_password(client, people, clock):
    borrowed_owner_session(client, people, clock)
    assert set_password(client, people.alice)["Location"] == OWN_PASSWORD_URL
    assert goes_to_reauth(client.get(OWN_PASSWORD_URL), OWN_PASSWORD_URL)
    assert goes_to_reauth(change_own_password(client), OWN_PASSWORD_URL)
    assert password_is(people.alice, PASSWORD)
    assert not entries("account.password_set").exists()
    # So the new password cannot pass re-authentication either.
    response = client.post(REAUTH_URL, {"password": NEW_PASSWORD, "code": "000000"})
    assert response.status_code == 200 and SESSION_KEY not in client.session


def test_the_own_page_in_the_people_admin_leads_to_the_own_password_change(client, people):
    client.force_login(people.alice)
    reauthenticate(client)
    response = client.get(password_url(people.alice))
    assert response.status_code == 302 and response["Location"] == OWN_PASSWORD_URL
    page = client.get(OWN_PASSWORD_URL)
    assert page.status_code == 200 and 'name="old_password"' in page.text


def test_own_password_needs_the_current_one_even_after_reauthentication(client, people):
    client.force_login(people.alice)
    reauthenticate(client)
    # The people admin's form (no current password) never sets one's own password.
    assert set_password(client, people.alice)["Location"] == OWN_PASSWORD_URL
    assert password_is(people.alice, PASSWORD)
    for old in (None, "", "not the password"):
        response = change_own_password(client, old=old)
        assert response.status_code == 200
        assert 'name="old_password"' in response.text
    assert password_is(people.alice, PASSWORD)
    assert not entries("account.password_set").exists()


def test_own_password_changes_after_reauthentication_and_the_current_one(client, people):
    elsewhere = signed_in(Client(), people.alice)
    client.force_login(people.alice)
    reauthenticate(client)
    mark = ledger_mark()
    response = change_own_password(client)
    assert response.status_code == 302
    assert password_is(people.alice, NEW_PASSWORD)
    assert client.get("/admin/").status_code == 200
    assert not Session.objects.filter(session_key=elsewhere.session.session_key).exists()
    entry = entries("account.password_set").get()
    assert entry.actor_id == people.alice.pk and entry.target_id == str(people.alice.pk)
    assert entry.detail == {
        "own": True,
        "usable": True,
        "sessions_ended": 1,
        "fields": ["password"],
    }
    # The password's save has no entry of its own: this one is its record.
    # It raises an account alert too (about this entry, not a record of the save).
    written = entries_after(mark).values_list("action", flat=True)
    assert list(written) == ["account.password_set", "alert.raise"]


def test_a_password_change_spends_the_reauthentication(client, people):
    client.force_login(people.alice)
    reauthenticate(client)
    change_own_password(client)
    assert SESSION_KEY not in client.session
    assert goes_to_reauth(client.get(role_url(people.carol)))
    assert goes_to_reauth(client.get(OWN_PASSWORD_URL))
    # Re-authentication now takes the new password, not the old one.
    assert client.post(REAUTH_URL, {"password": PASSWORD}).status_code == 200
    assert client.post(REAUTH_URL, {"password": NEW_PASSWORD}).status_code == 302


# Someone else's password --------------------------------------------------------------


def test_setting_someone_elses_password_needs_reauthentication(client, people, clock):
    phone = signed_in(Client(), people.carol)
    borrowed_owner_session(client, people, clock)
    assert goes_to_reauth(client.get(password_url(people.carol)), password_url(people.carol))
    assert goes_to_reauth(set_password(client, people.carol), password_url(people.carol))
    assert password_is(people.carol, PASSWORD)
    assert Session.objects.filter(session_key=phone.session.session_key).exists()
    assert not entries("account.password_set").exists()


def test_an_old_reauthentication_does_not_set_a_password(client, people, clock):
    client.force_login(people.alice)
    reauthenticate(client)
    clock.advance(10 * 60 + 1)
    assert goes_to_reauth(set_password(client, people.carol))
    assert password_is(people.carol, PASSWORD)


def test_setting_someones_password_spends_the_reauthentication_and_names_no_password(
    client, people
):
    client.force_login(people.alice)
    reauthenticate(client)
    assert set_password(client, people.carol).status_code == 302
    assert password_is(people.carol, NEW_PASSWORD)
    assert SESSION_KEY not in client.session
    assert goes_to_reauth(set_password(client, people.bob))
    assert password_is(people.bob, PASSWORD)
    entry = entries("account.password_set").get()
    assert entry.target_type == "auth.user" and entry.target_id == str(people.carol.pk)
    ledger = json.dumps(list(AuditEntry.objects.values()), default=str)
    assert NEW_PASSWORD not in ledger and PASSWORD not in ledger


# Second factors -----------------------------------------------------------------------


def test_resetting_ones_own_second_factor_needs_reauthentication(client, people, clock):
    borrowed_owner_session(client, people, clock)
    response = reset_two_factor(client, people.alice)
    assert goes_to_reauth(response, PEOPLE_URL)
    assert TOTPDevice.objects.filter(user=people.alice).exists()
    assert not entries("account.2fa_reset").exists()
    assert client.get("/admin/").status_code == 200


def test_resetting_someone_elses_second_factor_needs_reauthentication(client, people, clock):
    enrol(people.carol)
    phone = signed_in(Client(), people.carol)
    borrowed_owner_session(client, people, clock)
    assert goes_to_reauth(reset_two_factor(client, people.carol), PEOPLE_URL)
    assert TOTPDevice.objects.filter(user=people.carol).exists()
    assert phone.get("/admin/").status_code == 200
    assert not entries("account.2fa_reset").exists()


def test_a_reset_of_someone_else_ends_their_sessions_and_spends_the_reauthentication(
    client, people
):
    enrol(people.carol)
    phone = signed_in(Client(), people.carol)
    client.force_login(people.alice)
    reauthenticate(client)
    assert reset_two_factor(client, people.carol).status_code == 302
    assert not TOTPDevice.objects.filter(user=people.carol).exists()
    assert phone.get("/admin/").status_code == 302
    assert SESSION_KEY not in client.session
    assert goes_to_reauth(client.get(role_url(people.carol)))
    entry = entries("account.2fa_reset").get()
    assert entry.actor_id == people.alice.pk and entry.target_id == str(people.carol.pk)


def test_the_owner_resetting_their_own_second_factor_signs_in_again(client, people, clock):
    device = borrowed_owner_session(client, people, clock)
    code = twofactor.current_code(device)
    assert client.post(REAUTH_URL, {"password": PASSWORD, "code": code}).status_code == 302
    response = reset_two_factor(client, people.alice)
    assert response.status_code == 302 and response["Location"] == "/admin/login/"
    assert not TOTPDevice.objects.filter(user=people.alice).exists()
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert entries("account.2fa_reset").get().target_id == str(people.alice.pk)


# Deactivation -------------------------------------------------------------------------


def test_deactivating_someone_needs_reauthentication(client, people):
    phone = signed_in(Client(), people.carol)
    client.force_login(people.alice)
    response = client.post(
        f"/admin/auth/user/{people.carol.pk}/change/", {"username": "carol", "is_active": ""}
    )
    assert goes_to_reauth(response)
    assert User.objects.get(pk=people.carol.pk).is_active
    assert phone.get("/admin/").status_code == 200
    assert not entries("account.deactivate").exists()


def test_editing_a_name_needs_no_reauthentication(client, people):
    client.force_login(people.alice)
    response = client.post(
        f"/admin/auth/user/{people.carol.pk}/change/",
        {"username": "carol", "first_name": "Carol", "is_active": "on"},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=people.carol.pk).first_name == "Carol"


# The browser's way back ---------------------------------------------------------------


def hidden_next(page):
    """The ``next`` the re-authentication form sends back, as the browser would."""
    match = re.search(r'name="next" value="([^"]*)"', page.text)
    return html.unescape(match.group(1))


def test_after_reauthentication_the_owner_lands_on_the_page_they_wanted(client, people, clock):
    device = borrowed_owner_session(client, people, clock)
    for wanted, landing in (
        (password_url(people.carol), password_url(people.carol)),
        (password_url(people.alice), OWN_PASSWORD_URL),
        (role_url(people.carol), role_url(people.carol)),
    ):
        response = client.get(wanted, follow=True)
        assert response.redirect_chain[-1][0].startswith(f"{REAUTH_URL}?next=")
        assert hidden_next(response) == landing
        code = twofactor.current_code(device)
        back = client.post(REAUTH_URL, {"password": PASSWORD, "code": code, "next": landing})
        assert back.status_code == 302 and back["Location"] == landing
        assert client.get(landing).status_code == 200
        session = client.session
        del session[SESSION_KEY]
        session.save()
        clock.advance(30)
