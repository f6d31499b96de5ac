"""Backups need committed data (the dump and the restore run outside the test's
transaction) and an age key pair made for the test."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection
from pyrage import x25519

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def backup_key(tmp_path, settings):
    """A fresh age key pair: the public half in BACKUP_RECIPIENT, the private half in a
    file only the test (the owner) holds."""
    identity = x25519.Identity.generate()
    key_file = tmp_path / "backup-key.txt"
    key_file.write_text(f"# test key\n{identity}\n", encoding="ascii")
    settings.BACKUP_RECIPIENT = str(identity.to_public())
    settings.BACKUP_DIR = str(tmp_path / "backups")
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.txt")
    settings.AUDIT_CHECKPOINT_MAIL = False
    return key_file


@pytest.fixture
def empty_database(tmp_path):
    """The URL of a new, empty database of the same kind as the test's, dropped after."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    db = connection.settings_dict
    name = f"ops_restore_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    host = f"{db['USER']}@{db['HOST']}:{db['PORT']}"
    try:
        yield f"postgres://{host}/{name}"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(*args, database_url, **env):
    """Run ``manage.py`` in its own process on ``database_url`` (the test's keys are in
    the environment, tests/testenv.py)."""
    environment = {**os.environ, "DATABASE_URL": database_url, **env}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
