from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import set_role
from audit.models import AuditEntry
from tests.factories import PASSWORD, entries_after, ledger_mark, make_person
from tests.signing import enrol, reauthenticate, signed_in
from vault.roles import OWNER, STAFF, role_of

User = get_user_model()
ADD_URL = "/admin/auth/user/add/"
NEW_PASSWORD = "another long passphrase 42"


def role_url(user):
    return f"/admin/auth/user/{user.pk}/role/"


def change_url(user):
    return f"/admin/auth/user/{user.pk}/change/"


def change_form_data(user, **changes):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def entries(action):
    return AuditEntry.objects.filter(action=action)


def model_entries(user):
    """The person's model.* entries: saves recorded without an entry of their own."""
    return AuditEntry.objects.filter(
        action__startswith="model.", target_type="auth.user", target_id=str(user.pk)
    )


# Creating people -------------------------------------------------------------------


def new_person(client):
    return client.post(
        ADD_URL,
        {"username": "grace", "email": "grace@example.com", "role": STAFF},
    )


def test_owner_creates_a_person_with_exactly_one_role(client, people):
    client.force_login(people.alice)
    reauthenticate(client)
    response = new_person(client)
    assert response.status_code == 302
    grace = User.objects.get(username="grace")
    assert role_of(grace) == STAFF
    assert list(grace.groups.values_list("name", flat=True)) == [STAFF]
    assert grace.is_staff and not grace.is_superuser
    entry = entries("account.create").get()
    assert entry.actor_id == people.alice.pk and entry.target_id == str(grace.pk)
    # The one record of the account's save and its role: names only, no password.
    assert entry.detail == {
        "role": STAFF,
        "fields": [
            "date_joined", "email", "groups", "is_active", "is_staff", "is_superuser",
            "password", "username",
        ],
    }  # fmt: skip
    assert not model_entries(grace).exists()


def test_creating_a_person_needs_reauthentication(client, people):
    client.force_login(people.alice)
    response = new_person(client)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/reauth/?next=")
    assert not User.objects.filter(username="grace").exists()
    assert not entries("account.create").exists()


def test_only_the_owner_creates_people(client, people):
    assert new_person(client)["Location"].startswith("/admin/login/")
    for name in ("bob", "carol", "dave"):
        client.force_login(getattr(people, name))
        reauthenticate(client)
        assert new_person(client).status_code == 403
    assert not User.objects.filter(username="grace").exists()
    assert not entries("account.create").exists()


def test_the_person_form_has_one_role_and_no_raw_permissions(client, people):
    client.force_login(people.alice)
    reauthenticate(client)
    for url in (ADD_URL, change_url(people.carol)):
        page = client.get(url).text
        for raw in ('name="groups"', 'name="user_permissions"', 'name="is_superuser"'):
            assert raw not in page
        assert 'name="is_staff"' not in page
    assert 'type="radio" name="role"' in client.get(ADD_URL).text


def test_people_are_never_deleted(client, people):
    client.force_login(people.alice)
    response = client.post(f"/admin/auth/user/{people.carol.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(pk=people.carol.pk).exists()


# Roles -------------------------------------------------------------------------------


def test_owner_changes_a_role_after_reauthentication(client, people):
    client.force_login(people.alice)
    reauthenticate(client)
    before = model_entries(people.carol).count()
    response = client.post(role_url(people.carol), {"role": "manager"})
    assert response.status_code == 302
    people.carol.refresh_from_db()
    assert role_of(people.carol) == "manager"
    entry = entries("account.role_change").get()  # one entry for the role change
    assert entry.detail == {"old": STAFF, "new": "manager", "fields": ["groups"]}
    assert model_entries(people.carol).count() == before
    assert entry.actor_id == people.alice.pk and entry.target_id == str(people.carol.pk)


def test_changing_a_role_needs_reauthentication(client, people):
    client.force_login(people.alice)
    response = client.post(role_url(people.carol), {"role": "manager"})
    assert (
        response["Location"]
        == f"/admin/reauth/?next=%2Fadmin%2Fauth%2Fuser%2F{people.carol.pk}%2Frole%2F&again=1"
    )
    assert role_of(User.objects.get(pk=people.carol.pk)) == STAFF
    assert not entries("account.role_change").exists()


def test_only_the_owner_changes_roles(client, people):
    assert client.post(role_url(people.carol), {"role": OWNER})["Location"].startswith(
        "/admin/login/"
    )
    for name in ("bob", "carol", "dave"):
        client.force_login(getattr(people, name))
        reauthenticate(client)
        assert client.post(role_url(people.carol), {"role": OWNER}).status_code == 403
    assert role_of(User.objects.get(pk=people.carol.pk)) == STAFF
    assert not entries("account.role_change").exists()


def test_the_last_owner_cannot_be_demoted(client, people):
    client.force_login(people.alice)
    reauthenticate(client)
    response = client.post(role_url(people.alice), {"role": STAFF})
    assert response.status_code == 200
    assert "最後の有効なオーナー" in response.text
    assert role_of(User.objects.get(pk=people.alice.pk)) == OWNER
    assert not entries("account.role_change").exists()


def test_an_owner_can_step_down_when_another_owner_remains(client, people):
    set_role(people.bob, OWNER)
    client.force_login(people.alice)
    reauthenticate(client)
    assert client.post(role_url(people.alice), {"role": STAFF}).status_code == 302
    assert role_of(User.objects.get(pk=people.alice.pk)) == STAFF
    assert entries("account.role_change").get().detail == {
        "old": OWNER,
        "new": STAFF,
        "fields": ["groups"],
    }


def test_a_deactivated_owner_does_not_count_as_the_remaining_owner(client, people):
    make_person("olivia", OWNER, active=False)
    client.force_login(people.alice)
    reauthenticate(client)
    assert client.post(role_url(people.alice), {"role": STAFF}).status_code == 200
    assert role_of(User.objects.get(pk=people.alice.pk)) == OWNER


# Deactivation and sessions ----------------------------------------------------------


def test_deactivating_someone_ends_all_their_sessions_at_once(client, people):
    phone, laptop = signed_in(Client(), people.carol), signed_in(Client(), people.carol)
    keys = [phone.session.session_key, laptop.session.session_key]
    client.force_login(people.alice)
    reauthenticate(client)
    before = model_entries(people.carol).count()
    response = client.post(change_url(people.carol), change_form_data(people.carol, is_active=""))
    assert response.status_code == 302
    people.carol.refresh_from_db()
    assert not people.carol.is_active
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert phone.get("/admin/").status_code == 302
    entry = entries("account.deactivate").get()
    assert entry.target_id == str(people.carol.pk)
    assert entry.detail == {"sessions_ended": 2, "fields": ["is_active"]}
    assert model_entries(people.carol).count() == before
    assert client.get("/admin/").status_code == 200  # the owner's own session is untouched


def test_the_last_owner_cannot_be_deactivated(client, people):
    client.force_login(people.alice)
    reauthenticate(client)
    response = client.post(change_url(people.alice), change_form_data(people.alice, is_active=""))
    assert response.status_code == 200
    assert "最後の有効なオーナー" in response.text
    people.alice.refresh_from_db()
    assert people.alice.is_active
    assert not entries("account.deactivate").exists()
    assert client.get("/admin/").status_code == 200


def test_reactivating_is_recorded(client, people):
    client.force_login(people.alice)
    reauthenticate(client)
    response = client.post(change_url(people.frank), change_form_data(people.frank, is_active="on"))
    assert response.status_code == 302
    people.frank.refresh_from_db()
    assert people.frank.is_active
    assert entries("account.reactivate").get().target_id == str(people.frank.pk)


def test_a_user_name_change_needs_reauthentication_and_is_its_own_entry(client, people):
    client.force_login(people.alice)
    data = change_form_data(people.carol, username="carol2", first_name="Carol")
    response = client.post(change_url(people.carol), data)
    assert response.status_code == 302 and response["Location"].startswith("/admin/reauth/")
    assert User.objects.get(pk=people.carol.pk).username == "carol"

    reauthenticate(client)
    mark = ledger_mark()
    assert client.post(change_url(people.carol), data).status_code == 302
    assert User.objects.get(pk=people.carol.pk).username == "carol2"
    written = entries_after(mark).filter(target_type="auth.user")
    [entry] = written
    assert (entry.action, entry.target_id) == ("account.username_change", str(people.carol.pk))
    assert entry.detail == {"fields": ["first_name", "username"]}
    assert entries_after(mark).filter(action="alert.raise").count() == 1


def test_a_name_only_change_needs_no_reauthentication(client, people):
    client.force_login(people.alice)
    data = change_form_data(people.carol, first_name="Carol")
    mark = ledger_mark()
    assert client.post(change_url(people.carol), data).status_code == 302
    assert User.objects.get(pk=people.carol.pk).first_name == "Carol"
    [entry] = entries_after(mark).filter(target_type="auth.user")
    assert (entry.action, entry.detail) == ("model.update", {"fields": ["first_name"]})


def test_a_password_change_ends_the_persons_other_sessions(people):
    here, elsewhere = signed_in(Client(), people.carol), signed_in(Client(), people.carol)
    other_key = elsewhere.session.session_key
    reauthenticate(here)
    response = here.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=other_key).exists()
    assert elsewhere.get("/admin/").status_code == 302
    assert here.get("/admin/").status_code == 200


def test_the_owner_setting_a_password_ends_all_that_persons_sessions(client, people):
    phone = signed_in(Client(), people.carol)
    client.force_login(people.alice)
    reauthenticate(client)
    mark = ledger_mark()
    response = client.post(
        f"/admin/auth/user/{people.carol.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=phone.session.session_key).exists()
    assert client.get("/admin/").status_code == 200
    entry = entries("account.password_set").get()
    assert entry.actor_id == people.alice.pk and entry.target_id == str(people.carol.pk)
    assert entry.detail == {
        "own": False,
        "usable": True,
        "sessions_ended": 1,
        "fields": ["password"],
    }
    # It raises an account alert too (about this entry, not a record of the save).
    written = entries_after(mark).values_list("action", flat=True)
    assert list(written) == ["account.password_set", "alert.raise"]


def test_owner_resets_someones_two_factor(client, people):
    enrol(people.carol)
    phone = signed_in(Client(), people.carol)
    client.force_login(people.alice)
    reauthenticate(client)
    response = client.post(
        "/admin/auth/user/",
        {"action": "reset_two_factor", "_selected_action": [people.carol.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=people.carol).exists()
    assert phone.get("/admin/").status_code == 302
    entry = entries("account.2fa_reset").get()
    assert entry.actor_id == people.alice.pk and entry.target_id == str(people.carol.pk)
    assert entry.detail == {"sessions_ended": 1}
