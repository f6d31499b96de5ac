"""A borrowed owner session against the people pages, on a live server (issue #22,
finding 2): without a recent re-authentication it changes no e-mail address, user name
or active switch; with one, each change is its own ledger entry, raises an alert and is
told to the person at the old and the new address and to every other owner."""

from django.contrib.auth import get_user_model
from django.core import mail

from audit.models import Alert, AuditEntry
from tests.factories import entries_after, ledger_mark, make_person
from tests.parallel import PARALLEL, burst, signed_in_visitor, statuses
from vault.roles import OWNER

pytestmark = PARALLEL

User = get_user_model()
ATTACKER = "someone.else@example.net"
BURST = 30


def change_url(server_url, user):
    return f"{server_url}/admin/auth/user/{user.pk}/change/"


def form_data(user, **changes):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        **changes,
    }
    return {key: value for key, value in data.items() if value != ""}


def with_addresses(people):
    for person in (people.alice, people.bob, people.carol):
        person.email = f"{person.username}@example.com"
        person.save(update_fields=["email"])
    return make_person("olivia", OWNER, active=True)


def test_a_borrowed_owner_session_changes_no_login_detail_without_reauthentication(
    server_url, people
):
    olivia = with_addresses(people)
    olivia.email = "olivia@example.com"
    olivia.save(update_fields=["email"])
    borrowed = signed_in_visitor(people.alice)  # signed in, password not confirmed lately
    attempts = [
        (people.alice, {"email": ATTACKER}),  # where the owner's alerts go
        (people.carol, {"username": "carol2"}),
        (people.carol, {"email": ATTACKER}),
        (people.bob, {"is_active": ""}),
    ]
    mark = ledger_mark()

    def send(i):
        person, change = attempts[i % len(attempts)]
        return borrowed.post(change_url(server_url, person), form_data(person, **change))

    answers = burst(BURST, send)

    passed = sum(1 for a in answers if a.location and "/reauth/" not in a.location)
    print(f"login-detail changes that passed without re-authentication: {passed} of {BURST}")
    assert statuses(answers) == {302: BURST}
    assert all(a.location.startswith("/admin/reauth/") for a in answers)
    assert User.objects.get(pk=people.alice.pk).email == "alice@example.com"
    assert User.objects.get(pk=people.carol.pk).username == "carol"
    assert User.objects.get(pk=people.carol.pk).email == "carol@example.com"
    assert User.objects.get(pk=people.bob.pk).is_active
    assert not entries_after(mark).filter(target_type="auth.user").exists()
    assert mail.outbox == []


def test_a_reauthenticated_change_is_recorded_alerted_and_told(server_url, people):
    olivia = with_addresses(people)
    olivia.email = "olivia@example.com"
    olivia.save(update_fields=["email"])
    owner = signed_in_visitor(people.alice, reauthenticated=True)
    mark = ledger_mark()

    answer = owner.post(
        change_url(server_url, people.carol), form_data(people.carol, email=ATTACKER)
    )

    assert answer.status == 302 and "/reauth/" not in answer.location
    carol = User.objects.get(pk=people.carol.pk)
    assert carol.email == ATTACKER
    [entry] = entries_after(mark).filter(action="account.email_change")
    assert entry.actor_id == people.alice.pk and entry.target_id == str(carol.pk)
    assert entry.detail == {"fields": ["email"]}
    alert = Alert.objects.get(kind=Alert.ACCOUNT_CHANGE, cause_seq=entry.seq)
    assert alert.subject_id == people.alice.pk
    told = {address for message in mail.outbox for address in message.to}
    # The person at the old and the new address; every other owner (and the alert mail).
    assert {"carol@example.com", ATTACKER, "alice@example.com", "olivia@example.com"} <= told
    assert "bob@example.com" not in told  # a manager is not an owner
    notices = [m for m in mail.outbox if "carol@example.com" in m.to]
    assert notices and "carol" in notices[0].body
    assert not AuditEntry.objects.filter(seq__gt=mark, action="model.update").exists()
