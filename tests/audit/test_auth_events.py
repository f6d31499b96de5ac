import pytest

from audit.models import AuditEntry
from tests.factories import PASSWORD

LOGIN = "/admin/login/"


@pytest.fixture(autouse=True)
def password_only_sign_in(settings):
    """These tests are about the ledger entries of signing in, not the second factor
    (tests/shopguard/test_sign_in.py): without 2FA one POST is a whole sign-in."""
    settings.SHOPGUARD_REQUIRE_2FA = False


def sign_in(client, username, password=PASSWORD, ip="198.51.100.4"):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
        HTTP_USER_AGENT="pytest-browser",
    )


def test_it_records_a_sign_in(client, people):
    response = sign_in(client, "carol")
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="auth.sign_in")
    assert (entry.actor_id, entry.actor_role, entry.outcome) == (people.carol.pk, "staff", "ok")
    assert (entry.ip, entry.user_agent) == ("198.51.100.4", "pytest-browser")
    assert entry.request_id


def test_it_records_a_sign_out(client, people):
    sign_in(client, "carol")
    response = client.post("/admin/logout/")
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="auth.sign_out")
    assert entry.actor_id == people.carol.pk


def test_it_records_a_failed_sign_in_without_the_password(client, people):
    response = sign_in(client, "carol", password="wrong-password-typed")
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="auth.sign_in_failed")
    assert (entry.outcome, entry.actor_id, entry.actor_username) == ("refused", None, "carol")
    assert "wrong-password-typed" not in repr(list(AuditEntry.objects.values_list()))
    assert not AuditEntry.objects.filter(action="auth.sign_in").exists()


def test_an_unknown_name_is_kept_only_as_a_keyed_tag(client, db):
    """A name that is no account may be a password typed in the wrong box, or a
    customer's address: no table keeps it, yet repeated tries of it still meet."""
    from vault.models import LimitCounter

    typed = "hanako.sample@example.jp"
    sign_in(client, typed, password="whatever-123")
    sign_in(client, typed, password="whatever-456")
    sign_in(client, "someone-else", password="whatever-789")
    tags = list(
        AuditEntry.objects.filter(action="auth.sign_in_failed")
        .order_by("seq")
        .values_list("actor_username", flat=True)
    )
    assert tags[0] == tags[1] != tags[2]
    assert all(tag.startswith("未登録の名前 #") for tag in tags)
    stored = [list(AuditEntry.objects.values_list()), list(LimitCounter.objects.values_list())]
    # The two tries of one name meet in one count, kept under the name's tag.
    counted = LimitCounter.objects.filter(limit="password_guesses")
    keys = set(counted.values_list("key", flat=True))
    assert keys == {f"198.51.100.4|{tags[0]}", f"198.51.100.4|{tags[2]}"}
    assert typed not in repr(stored) and "someone-else" not in repr(stored)


def test_an_unknown_name_is_still_locked_out(client, db, settings):
    for _ in range(settings.SHOPGUARD_SIGN_IN_FAILURES):
        sign_in(client, "nobody", password="wrong-password")
    assert sign_in(client, "nobody", password="wrong-password").status_code == 429
    names = set(
        AuditEntry.objects.filter(action="auth.lockout").values_list("actor_username", flat=True)
    )
    assert len(names) == 1 and names.pop().startswith("未登録の名前 #")


def test_it_records_a_lockout(client, people, settings):
    for _ in range(settings.SHOPGUARD_SIGN_IN_FAILURES):
        sign_in(client, "carol", password="wrong-password")
    response = sign_in(client, "carol")  # the right password, but locked
    assert response.status_code == 429
    lockouts = AuditEntry.objects.filter(action="auth.lockout", outcome="refused")
    # The fifth failure locked the name; the locked try met the lock.
    assert [(e.actor_username, e.ip, e.detail) for e in lockouts] == [
        ("carol", "198.51.100.4", {"reason": "lockout"}),
    ] * 2
    failures = AuditEntry.objects.filter(action="auth.sign_in_failed", actor_username="carol")
    assert failures.count() == settings.SHOPGUARD_SIGN_IN_FAILURES + 1
    assert not AuditEntry.objects.filter(action="auth.sign_in").exists()


def test_it_records_a_deactivated_persons_failed_sign_in(client, people):
    sign_in(client, "frank")
    assert AuditEntry.objects.filter(
        action="auth.sign_in_failed", actor_username="frank", outcome="refused"
    ).exists()
