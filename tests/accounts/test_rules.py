"""The rules that depend on the object (accounts.rules), each for anonymous people, a
role that may not and the role that may."""

from django.contrib.auth.models import AnonymousUser

from accounts import rules
from tests.factories import make_person
from vault.roles import MANAGER, OWNER, STAFF

ANONYMOUS = AnonymousUser()


def test_is_own_is_true_only_for_the_person_who_asked(people):
    assert rules.is_own(people.bob, people.bob.pk)
    assert not rules.is_own(people.bob, people.alice.pk)
    assert not rules.is_own(ANONYMOUS, None)  # nobody owns what nobody asked for


def test_approvers_see_every_export_everyone_else_only_their_own(people):
    asked_by_bob = people.bob.pk
    assert not rules.may_see_export(ANONYMOUS, asked_by_bob)
    assert not rules.may_see_export(people.carol, asked_by_bob)
    assert not rules.may_see_export(people.dave, asked_by_bob)
    assert rules.may_see_export(people.bob, asked_by_bob)
    # alice is the only owner: bob is her request's second person, so he sees it ...
    assert rules.may_see_export(people.bob, people.alice.pk)
    # ... until another owner is there to check it.
    make_person("olivia", OWNER)
    assert not rules.may_see_export(people.bob, people.alice.pk)
    assert rules.may_see_export(people.alice, asked_by_bob)
    assert rules.sees_every_export(people.alice) and not rules.sees_every_export(people.bob)


def test_only_an_approver_second_checks_and_only_someone_elses_export(people):
    assert not rules.may_second_check(ANONYMOUS, people.bob.pk)
    assert not rules.may_second_check(people.bob, people.carol.pk)  # only an owner's request
    assert not rules.may_second_check(people.carol, people.alice.pk)  # staff check nothing
    assert not rules.may_second_check(people.alice, people.alice.pk)  # not their own
    assert rules.may_second_check(people.alice, people.bob.pk)
    # A second person, not a rank: the only owner's request is the manager's to check.
    assert rules.may_second_check(people.bob, people.alice.pk)
    make_person("olivia", OWNER)
    assert not rules.may_second_check(people.bob, people.alice.pk)
    assert rules.may_second_check(people.alice, make_person("otto", MANAGER).pk)


def test_self_approval_only_for_the_owner_no_one_else_could_check(db):
    owner = make_person("solo", OWNER)
    assert not rules.may_self_approve(ANONYMOUS)
    assert rules.may_self_approve(owner)
    make_person("helper", STAFF)  # staff ask for no exports: still a one-person shop
    assert rules.may_self_approve(owner)
    manager = make_person("second", MANAGER)
    assert not rules.may_self_approve(owner)
    assert not rules.may_self_approve(manager)  # a manager approves nothing


def test_the_last_active_owner_may_not_be_switched_off_or_demoted(people):
    assert not rules.leaves_no_one_to_manage_people(ANONYMOUS)
    assert not rules.leaves_no_one_to_manage_people(people.carol)  # staff manage nobody
    assert rules.leaves_no_one_to_manage_people(people.alice)
    assert rules.leaves_no_one_to_manage_people(people.alice, MANAGER)
    assert not rules.leaves_no_one_to_manage_people(people.alice, OWNER)
    make_person("olivia", OWNER)
    assert not rules.leaves_no_one_to_manage_people(people.alice)


def test_a_person_made_owner_by_someone_second_checks_nothing_for_the_period(people, clock):
    from django.conf import settings

    from accounts import people as accounts_people

    mallory = make_person("mallory", STAFF)
    accounts_people.change_role(people.alice, mallory, OWNER)
    mallory = type(mallory).objects.get(pk=mallory.pk)
    assert rules.in_cooling_off(mallory)
    assert not rules.may_second_check(mallory, people.bob.pk)
    assert [a.person_id for a in rules.new_owners()] == [mallory.pk]
    assert rules.appointed_by(mallory, people.alice.pk)
    assert not rules.appointed_by(people.alice, mallory.pk)
    clock.advance(settings.SHOPGUARD_NEW_OWNER_COOLING_OFF_DAYS * 86400 + 60)
    assert not rules.in_cooling_off(mallory) and rules.new_owners() == []
    assert rules.may_second_check(mallory, people.bob.pk)


def test_the_first_owner_made_by_the_command_has_no_cooling_off(db, monkeypatch):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    monkeypatch.setenv("OWNER_PASSWORD", "a long owner passphrase")
    call_command("createowner", "shopowner", password_env="OWNER_PASSWORD")
    owner = get_user_model().objects.get(username="shopowner")
    assert not rules.in_cooling_off(owner) and rules.may_self_approve(owner)


def test_a_manager_checks_an_owners_request_while_every_other_owner_is_cooling_off(people, clock):
    """issue #23: alice's only other owner is new (cooling off), so nobody else could
    check her request; bob, the manager, may, until the new owner's period ends."""
    from django.conf import settings

    from accounts import people as accounts_people

    assert not rules.may_second_check(people.bob, people.bob.pk)
    mallory = make_person("mallory", STAFF)
    accounts_people.change_role(people.alice, mallory, OWNER)
    mallory = type(mallory).objects.get(pk=mallory.pk)
    assert rules.in_cooling_off(mallory) and not rules.may_second_check(mallory, people.alice.pk)
    assert rules.may_second_check(people.bob, people.alice.pk)
    assert rules.may_see_export(people.bob, people.alice.pk)
    # The new owner's own request has alice to check it: not the manager's.
    assert not rules.may_second_check(people.bob, mallory.pk)
    assert rules.may_second_check(people.alice, mallory.pk)
    # Staff still check nothing; alice still may not approve her own.
    assert not rules.may_second_check(people.carol, people.alice.pk)
    assert not rules.may_self_approve(people.alice)

    clock.advance(settings.SHOPGUARD_NEW_OWNER_COOLING_OFF_DAYS * 86400 + 60)
    assert not rules.may_second_check(people.bob, people.alice.pk)
    assert rules.may_second_check(mallory, people.alice.pk)


def test_one_settled_owner_besides_a_cooling_off_one_keeps_the_check_among_owners(people):
    from accounts import people as accounts_people

    make_person("olivia", OWNER)  # made by the server's command: no period
    mallory = make_person("mallory", STAFF)
    accounts_people.change_role(people.alice, mallory, OWNER)
    assert not rules.may_second_check(people.bob, people.alice.pk)
