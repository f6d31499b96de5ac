"""Inviting new people: the owner adds someone without a password, the person chooses
their own from a one-time, expiring link, and enrols their second factor at sign-in."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from audit.models import AuditEntry
from tests.factories import make_person
from tests.signing import password_step, reauthenticate
from vault.roles import STAFF

User = get_user_model()
ADD_URL = "/admin/auth/user/add/"
CHOSEN = "grace chooses this passphrase 9"


@pytest.fixture(autouse=True)
def two_factor_on(settings):
    settings.SHOPGUARD_REQUIRE_2FA = True


def invite(client, people, django_capture_on_commit_callbacks, username="grace"):
    client.force_login(people.alice)
    reauthenticate(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            ADD_URL, {"username": username, "email": "grace@example.com", "role": STAFF}
        )
    client.logout()
    return response


def invitations(address="grace@example.com"):
    return [m for m in mail.outbox if m.to == [address] and "招待" in m.subject]


def the_link(address="grace@example.com"):
    [message] = invitations(address)
    return re.search(r"https?://\S+(/admin/invite/\S+/)", message.body).group(1)


def test_the_owner_adds_a_person_without_a_password_and_they_get_a_link(
    client, people, django_capture_on_commit_callbacks
):
    response = invite(client, people, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    grace = User.objects.get(username="grace")
    assert not grace.has_usable_password()
    [message] = invitations()
    assert "grace" in message.body and "72 時間以内" in message.body
    sent = AuditEntry.objects.get(action="account.invite_send")
    assert sent.actor_id == people.alice.pk and sent.target_id == str(grace.pk)
    assert sent.detail == {"hours": 72}  # never the link


def test_the_person_chooses_their_password_once_and_then_enrols(
    client, people, django_capture_on_commit_callbacks
):
    invite(client, people, django_capture_on_commit_callbacks)
    link = the_link()
    moved = client.get(link)
    assert moved.status_code == 302 and moved["Location"].endswith("/set-password/")
    page = client.get(moved["Location"])
    assert page.status_code == 200 and 'name="new_password1"' in page.text
    weak = client.post(moved["Location"], {"new_password1": "grace", "new_password2": "grace"})
    assert weak.status_code == 200  # Django's validators: too short, like the user name
    assert not User.objects.get(username="grace").has_usable_password()
    done = client.post(moved["Location"], {"new_password1": CHOSEN, "new_password2": CHOSEN})
    assert done.status_code == 302 and done["Location"] == "/admin/login/"
    grace = User.objects.get(username="grace")
    assert grace.check_password(CHOSEN)
    used = AuditEntry.objects.get(action="account.invite_use")
    assert used.actor_id == grace.pk and used.target_id == str(grace.pk)
    # The first sign-in asks for the second factor before anything else.
    signing_in = password_step(client, "grace", CHOSEN)
    assert signing_in["Location"] == "/admin/two-factor/setup/"
    # The link works once.
    again = client.get(link)
    assert again.status_code == 410
    assert "すでに使われています" in again.text


def test_an_expired_link_is_refused_with_its_reason(
    client, people, django_capture_on_commit_callbacks, clock
):
    invite(client, people, django_capture_on_commit_callbacks)
    clock.advance(73 * 3600)
    response = client.get(the_link())
    assert response.status_code == 410
    assert "有効期限が切れています" in response.text
    assert not AuditEntry.objects.filter(action="account.invite_use").exists()


def test_a_wrong_link_is_refused(client, people, django_capture_on_commit_callbacks):
    invite(client, people, django_capture_on_commit_callbacks)
    link = the_link()
    forged = link.rsplit("-", 1)[0] + "-0000000000/"
    response = client.get(forged)
    assert response.status_code == 410 and "正しくないか" in response.text
    # Without the link's token in the session, the form is refused too.
    form = re.sub(r"/[^/]+/$", "/set-password/", link)
    posted = client.post(form, {"new_password1": CHOSEN, "new_password2": CHOSEN})
    assert posted.status_code == 410
    assert not User.objects.get(username="grace").has_usable_password()


def test_a_user_name_outside_the_hint_is_refused(
    client, people, django_capture_on_commit_callbacks
):
    response = invite(client, people, django_capture_on_commit_callbacks, "佐藤花子")
    assert response.status_code == 200
    assert "半角の英字・数字と @ . + - _ だけ" in response.text
    assert not User.objects.filter(username="佐藤花子").exists()
    assert not mail.outbox


def test_a_changed_user_name_follows_the_hint_too(client, people):
    erin = make_person("erin2", STAFF)
    client.force_login(people.alice)
    reauthenticate(client)
    data = {"username": "佐藤花子", "email": "", "is_active": "on"}
    response = client.post(f"/admin/auth/user/{erin.pk}/change/", data)
    assert response.status_code == 200
    assert "半角の英字・数字と @ . + - _ だけ" in response.text
    erin.refresh_from_db()
    assert erin.username == "erin2"


def test_the_owner_sends_an_expired_invitation_again(
    client, people, django_capture_on_commit_callbacks, clock
):
    invite(client, people, django_capture_on_commit_callbacks)
    old = the_link()
    clock.advance(73 * 3600)
    mail.outbox.clear()
    grace = User.objects.get(username="grace")
    client.force_login(people.alice)
    reauthenticate(client)
    chosen = {"action": "resend_invite", "_selected_action": [grace.pk, people.carol.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/auth/user/", chosen)
    assert response.status_code == 302
    client.logout()
    assert AuditEntry.objects.filter(action="account.invite_send").count() == 2
    assert not [m for m in mail.outbox if people.carol.email and m.to == [people.carol.email]]
    assert client.get(old).status_code == 410
    assert client.get(the_link()).status_code == 302  # the new link opens the form


def test_only_the_owner_sends_invitations_again(client, people):
    grace = make_person("grace", STAFF)
    grace.set_unusable_password()
    grace.email = "grace@example.com"
    grace.save()
    client.force_login(people.bob)
    reauthenticate(client)
    chosen = {"action": "resend_invite", "_selected_action": [grace.pk]}
    assert client.post("/admin/auth/user/", chosen).status_code == 403
    assert not AuditEntry.objects.filter(action="account.invite_send").exists()


def resend(client, person, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    chosen = {"action": "resend_invite", "_selected_action": [person.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/admin/auth/user/", chosen).status_code == 302
    return the_link()


def test_a_re_sent_invite_makes_every_earlier_link_invalid_at_once(
    client, people, django_capture_on_commit_callbacks, clock
):
    invite(client, people, django_capture_on_commit_callbacks)
    first = the_link()
    # Someone opened the first link: its token waits in their session for the form.
    opened = Client()
    form = opened.get(first)["Location"]
    grace = User.objects.get(username="grace")
    client.force_login(people.alice)
    reauthenticate(client)
    clock.advance(60)
    second = resend(client, grace, django_capture_on_commit_callbacks)
    clock.advance(60)
    third = resend(client, grace, django_capture_on_commit_callbacks)
    client.logout()
    assert len({first, second, third}) == 3

    for earlier in (first, second):
        refused = client.get(earlier)
        assert refused.status_code == 410
        assert "送り直すと、前のリンクは使えなくなります" in refused.text
    posted = opened.post(form, {"new_password1": CHOSEN, "new_password2": CHOSEN})
    assert posted.status_code == 410
    assert not User.objects.get(username="grace").has_usable_password()
    assert client.get(third).status_code == 302  # the newest link opens the form
    # The re-sends are recorded as invitations sent, not as bare password changes.
    assert AuditEntry.objects.filter(action="account.invite_send").count() == 3
    assert not AuditEntry.objects.filter(action="model.update", target_id=str(grace.pk)).exists()


def test_the_invite_pages_show_no_menu_to_the_person_not_signed_in_yet(
    client, people, django_capture_on_commit_callbacks
):
    invite(client, people, django_capture_on_commit_callbacks)
    link = the_link()
    form = client.get(client.get(link)["Location"])
    client.post(form.request["PATH_INFO"], {"new_password1": CHOSEN, "new_password2": CHOSEN})
    refused = client.get(link)

    for page in (form, refused):
        assert page.status_code in (200, 410)
        # The admin's side menu would only say 「表示または変更のためのパーミッションがありません」.
        assert 'id="nav-sidebar"' not in page.text and "パーミッション" not in page.text
    assert 'name="new_password1"' in form.text and "すでに使われています" in refused.text


@pytest.mark.parametrize("networks", [["192.0.2.0/24"], []])
def test_the_invite_mail_says_where_the_link_opens_when_the_back_office_is_limited(
    client, people, django_capture_on_commit_callbacks, settings, networks
):
    settings.SHOPGUARD_BACKOFFICE_NETWORKS = networks
    client.force_login(people.alice)
    reauthenticate(client)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            ADD_URL,
            {"username": "grace", "email": "grace@example.com", "role": STAFF},
            REMOTE_ADDR="192.0.2.10",
        )

    [message] = invitations()
    said = "店舗が管理画面を許可した場所のネットワークからだけ開けます" in message.body
    assert said == bool(networks)
