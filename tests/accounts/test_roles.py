"""The role table (accounts.roles) is the one truth of who may do what: migrate writes it
into the groups, and a codename no model declares fails `check` and `migrate` by name."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from accounts import roles
from vault.roles import MANAGER, OWNER, ROLES, STAFF

MISSPELT = "customers.reveal_custmer"


@pytest.fixture
def misspelt_table(monkeypatch):
    table = {role: list(perms) for role, perms in roles.ROLE_PERMISSIONS.items()}
    table[STAFF].append(MISSPELT)
    monkeypatch.setattr(roles, "ROLE_PERMISSIONS", table)


def held(role):
    group = Group.objects.get(name=role)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_check_passes_with_the_table_as_it_is():
    assert roles.unknown_permissions() == []
    call_command("check", verbosity=0)


def test_check_names_a_misspelt_codename(misspelt_table):
    with pytest.raises(SystemCheckError, match=MISSPELT) as failure:
        call_command("check", verbosity=0)
    assert "accounts.E001" in str(failure.value)


def test_migrate_stops_on_a_misspelt_codename_and_names_it(db, misspelt_table):
    before = held(STAFF)
    with pytest.raises(ImproperlyConfigured, match=MISSPELT):
        call_command("migrate", verbosity=0)
    assert held(STAFF) == before  # nothing silently dropped or half-written


def test_each_group_holds_exactly_its_roles_permissions(db):
    for role in ROLES:
        assert held(role) == set(roles.ROLE_PERMISSIONS[role]), role


def test_migrate_takes_back_a_permission_given_by_hand(db):
    """A permission given to a group outside the table opens its pages only until the
    next migrate: the table is the one truth."""
    group = Group.objects.get(name=MANAGER)
    group.permissions.add(Permission.objects.get(codename="approve_exportrequest"))
    call_command("migrate", verbosity=0)
    assert held(MANAGER) == set(roles.ROLE_PERMISSIONS[MANAGER])


def test_only_the_owner_and_the_manager_reveal_without_the_quota():
    assert roles.roles_granting("customers.reveal_without_quota") == [OWNER, MANAGER]
    assert roles.roles_granting("customers.reveal_customer") == [OWNER, MANAGER, STAFF]
