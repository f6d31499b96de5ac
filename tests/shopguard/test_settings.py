"""Settings fail fast on a missing or weak secret, and `check --deploy` is clean."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from vault.keys import new_field_key, new_raw_key

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "AUDIT_CHAIN_KEY"]


def production_env(**changes):
    env = {k: v for k, v in os.environ.items() if k not in SECRETS and k != "DATABASE_URL"}
    env.update(
        SHOPGUARD_ENV_FILE=os.devnull,
        DJANGO_SETTINGS_MODULE="shopguard.settings",
        DEBUG="0",
        SHOPGUARD_HTTPS="1",
        ALLOWED_HOSTS="shop.example.jp",
        SECRET_KEY=new_raw_key() + new_raw_key(),
        FIELD_ENCRYPTION_KEYS=new_field_key(),
        BLIND_INDEX_KEY=new_raw_key(),
        AUDIT_CHAIN_KEY=new_raw_key(),
    )
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(*args, **changes):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=production_env(**changes),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("name", SECRETS)
def test_it_refuses_to_start_without_each_secret(name):
    result = manage("check", **{name: None})
    assert result.returncode != 0
    assert f"{name} is not set" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SECRET_KEY", "short", "SECRET_KEY is too weak"),
        ("SECRET_KEY", "django-insecure-" + "x" * 60, "SECRET_KEY is too weak"),
        ("FIELD_ENCRYPTION_KEYS", "k1:" + "A" * 43 + "=", "too weak"),
        ("FIELD_ENCRYPTION_KEYS", "no-colon-here", "keyid:base64key"),
        ("BLIND_INDEX_KEY", "c2hvcnQ=", "BLIND_INDEX_KEY must hold 32"),
        ("AUDIT_CHAIN_KEY", "not base64 at all!", "AUDIT_CHAIN_KEY"),
        ("DEBUG", "maybe", "DEBUG must be 1 or 0"),
        ("SHOPGUARD_TRUSTED_PROXIES", "127.0.0.1, nginx", "SHOPGUARD_TRUSTED_PROXIES must list"),
        ("SHOPGUARD_BACKOFFICE_NETWORKS", "10.0.0.0/33", "SHOPGUARD_BACKOFFICE_NETWORKS must"),
    ],
)
def test_it_refuses_weak_or_malformed_values(name, value, message):
    result = manage("check", **{name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_it_refuses_the_same_key_twice():
    key = new_raw_key()
    result = manage("check", BLIND_INDEX_KEY=key, AUDIT_CHAIN_KEY=key)
    assert result.returncode != 0
    assert "must all differ" in result.stderr


def test_check_deploy_is_clean_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_a_variable_in_the_environment_wins_over_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("ALLOWED_HOSTS=from-file.example\n")
    code = "from django.conf import settings; print(settings.ALLOWED_HOSTS)"
    env = production_env(SHOPGUARD_ENV_FILE=str(env_file), ALLOWED_HOSTS="from-env.example")
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "from-env.example" in result.stdout
    env.pop("ALLOWED_HOSTS")
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "from-file.example" in result.stdout


def networks_read(**changes):
    code = (
        "from django.conf import settings; "
        "print(settings.SHOPGUARD_TRUSTED_PROXIES, settings.SHOPGUARD_BACKOFFICE_NETWORKS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=production_env(**changes),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout.strip()


def test_it_reads_trusted_proxies_and_back_office_networks_as_networks():
    assert networks_read() == "[] []"  # both empty unless set: no proxy, every address
    written = networks_read(
        SHOPGUARD_TRUSTED_PROXIES="127.0.0.1, ::1", SHOPGUARD_BACKOFFICE_NETWORKS="192.0.2.7/24"
    )
    assert written == "['127.0.0.1/32', '::1/128'] ['192.0.2.0/24']"


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("postgres://postgres@127.0.0.1:54330/shop", (600, True)),
        ("sqlite:///x.sqlite3", (0, False)),
    ],
)
def test_postgresql_connections_are_kept_and_checked(url, kept):
    # A new connection per request was 15-19 ms on a busy machine (issue #26).
    code = (
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['CONN_MAX_AGE'], d.get('CONN_HEALTH_CHECKS', False))"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=production_env(DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == [str(kept[0]), str(kept[1])], result.stderr


def sqlite_page_size(path):
    """The page size of the SQLite file at ``path`` once Django has opened it and written
    a table, and that table's rows."""
    code = (
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('CREATE TABLE IF NOT EXISTS t (x integer)'); "
        "c.execute('INSERT INTO t VALUES (1)'); "
        "c.execute('PRAGMA page_size'); size = c.fetchone()[0]; "
        "c.execute('SELECT COUNT(*) FROM t'); print(size, c.fetchone()[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=production_env(DATABASE_URL=f"sqlite:///{path}"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout.split(), result.stderr


def test_a_new_sqlite_database_gets_8_kb_pages_and_an_old_one_keeps_its_own(tmp_path):
    # A list page's ledger entry is about 2.4 KB: a 4 KB page holds one of them and
    # wastes the rest (issue #26, ledger storage).
    found, errors = sqlite_page_size(tmp_path / "new.sqlite3")
    assert found == ["8192", "1"], errors
    import sqlite3

    old = tmp_path / "old.sqlite3"
    with sqlite3.connect(old) as db:
        db.execute("PRAGMA page_size=4096")
        db.execute("CREATE TABLE t (x integer)")
        db.execute("INSERT INTO t VALUES (1)")
    db.close()
    found, errors = sqlite_page_size(old)
    assert found == ["4096", "2"], errors
