import os
import stat

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from shopguard.envfile import write_env
from vault.keys import parse_field_keys
from vault.roles import OWNER, role_of


def test_make_field_key_prints_a_key_the_setting_accepts(capsys):
    call_command("make_field_key")
    printed = capsys.readouterr().out.strip()
    keys = parse_field_keys(printed)
    assert len(keys) == 1 and len(next(iter(keys.values()))) == 32
    call_command("make_field_key")
    assert capsys.readouterr().out.strip() != printed


def test_envfile_is_private_fresh_and_never_overwritten(tmp_path):
    target = tmp_path / ".env"
    assert write_env(target) is True
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    first = target.read_text()
    assert "FIELD_ENCRYPTION_KEYS=k" in first and "BLIND_INDEX_KEY=" in first
    assert write_env(target) is False
    assert target.read_text() == first
    other = tmp_path / "other.env"
    write_env(other)
    assert other.read_text() != first  # fresh keys every time


@pytest.mark.django_db
def test_createowner_creates_an_owner(monkeypatch):
    monkeypatch.setenv("OWNER_PASSWORD", "a long owner passphrase")
    call_command("createowner", "shopowner", password_env="OWNER_PASSWORD")
    user = get_user_model().objects.get(username="shopowner")
    assert role_of(user) == OWNER and user.is_staff and not user.is_superuser
    assert user.check_password("a long owner passphrase")


@pytest.mark.django_db
def test_createowner_refuses_a_weak_password_and_creates_nothing(monkeypatch):
    monkeypatch.setenv("OWNER_PASSWORD", "short")
    with pytest.raises(CommandError):
        call_command("createowner", "shopowner", password_env="OWNER_PASSWORD")
    assert not get_user_model().objects.filter(username="shopowner").exists()


@pytest.mark.django_db
def test_the_four_role_groups_exist_with_their_permissions():
    from django.contrib.auth.models import Group

    groups = {g.name: g for g in Group.objects.all()}
    assert {"owner", "manager", "staff", "auditor"} <= set(groups)
    owner_perms = set(groups["owner"].permissions.values_list("codename", flat=True))
    staff_perms = set(groups["staff"].permissions.values_list("codename", flat=True))
    assert {"delete_customer", "reveal_customer"} <= owner_perms
    assert "reveal_customer" in staff_perms and "delete_customer" not in staff_perms
    assert not groups["auditor"].permissions.filter(content_type__app_label="customers").exists()


def test_every_management_command_of_the_project_loads():
    from django.core.management import get_commands, load_command_class

    ours = {"accounts", "audit", "customers", "devtools", "exports", "policy", "shopguard"}
    commands = {name: app for name, app in get_commands().items() if app in ours}
    assert {"bench", "bench_http", "seed_demo", "demo_logins", "verify_audit"} <= set(commands)
    for name, app in commands.items():
        assert load_command_class(app, name).help, name
