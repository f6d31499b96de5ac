"""The one count of sign-in failures (vault.limits.PASSWORD_GUESSES): five wrong
passwords for a name from one address lock it for 30 minutes, with the lockout page and
its ledger entries."""

import pytest
from django.conf import settings

from audit.models import AuditEntry
from tests.accounts.signing import signed_in_clients
from tests.factories import PASSWORD

LOGIN = "/admin/login/"
REAUTH = "/admin/reauth/"
WRONG = "wrong password!!"


def sign_in(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


def actions(username):
    entries = AuditEntry.objects.filter(actor_username=username).order_by("seq")
    return list(entries.values_list("action", flat=True))


@pytest.mark.django_db
def test_it_locks_on_the_fifth_failure_with_the_lockout_page(client, people):
    for _ in range(4):
        response = sign_in(client, "carol", WRONG)
        assert response.status_code == 200  # the sign-in form again, with its error
    assert actions("carol") == ["auth.sign_in_failed"] * 4
    response = sign_in(client, "carol", WRONG)
    assert response.status_code == 429
    page = response.content.decode()
    assert "ロック" in page and "30分間" in page and "5回" in page
    assert "locked for 30 minutes" in page and "after 5 failed" in page
    assert "<html" in page.lower()  # a real page, not bare text
    assert actions("carol")[4:] == ["auth.lockout", "auth.sign_in_failed"]
    # Even the right password is refused while locked, and is never checked.
    assert sign_in(client, "carol", PASSWORD).status_code == 429
    assert actions("carol")[6:] == ["auth.lockout", "auth.sign_in_failed"]
    assert "auth.sign_in" not in actions("carol")


@pytest.mark.django_db
def test_the_page_says_the_limits_settings(client, people, settings):
    settings.SHOPGUARD_SIGN_IN_FAILURES = 3
    for _ in range(2):
        assert sign_in(client, "carol", WRONG).status_code == 200
    page = sign_in(client, "carol", WRONG).content.decode()
    assert "3回" in page and "after 3 failed" in page


@pytest.mark.django_db
def test_another_username_is_unaffected(client, people):
    for _ in range(5):
        sign_in(client, "carol", WRONG)
    response = sign_in(client, "bob", PASSWORD)
    assert response.status_code == 302  # on to the second factor, not locked
    assert response.url.startswith("/admin/two-factor/")


@pytest.mark.django_db
def test_another_address_is_unaffected(client, people):
    for _ in range(5):
        sign_in(client, "carol", WRONG)
    elsewhere = client.post(
        LOGIN,
        {"username": "carol", "password": PASSWORD, "next": "/admin/"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert elsewhere.status_code == 302


@pytest.mark.django_db
def test_it_unlocks_after_the_cool_off(client, people, clock):
    for _ in range(5):
        sign_in(client, "carol", WRONG)
    clock.advance(29 * 60)
    assert sign_in(client, "carol", PASSWORD).status_code == 429
    clock.advance(2 * 60)
    response = sign_in(client, "carol", PASSWORD)
    assert response.status_code == 302


@pytest.mark.django_db
def test_the_lock_lasts_30_minutes_after_the_last_failure(client, people, clock):
    for _ in range(4):
        sign_in(client, "carol", WRONG)
        clock.advance(10 * 60)  # failures ten minutes apart still follow one another
    assert sign_in(client, "carol", WRONG).status_code == 429
    clock.advance(29 * 60)
    assert sign_in(client, "carol", PASSWORD).status_code == 429  # not renewed by it
    clock.advance(2 * 60)
    assert sign_in(client, "carol", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_right_password_clears_the_count(client, people):
    for _ in range(4):
        sign_in(client, "carol", WRONG)
    assert sign_in(client, "carol", PASSWORD).status_code == 302
    for _ in range(4):
        assert sign_in(client, "carol", WRONG).status_code == 200  # four typos again
    assert "auth.lockout" not in actions("carol")


@pytest.mark.django_db
def test_re_authentication_counts_and_locks_the_same_way(people):
    (client,) = signed_in_clients(people.carol, 1)
    for _ in range(settings.SHOPGUARD_SIGN_IN_FAILURES - 1):
        assert client.post(REAUTH, {"password": WRONG}).status_code == 200
    response = client.post(REAUTH, {"password": WRONG})
    assert response.status_code == 429 and "ロック" in response.content.decode()
    assert client.post(REAUTH, {"password": PASSWORD}).status_code == 429
    assert actions("carol").count("auth.lockout") == 2
