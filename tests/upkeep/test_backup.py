import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile

import pyrage
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from pyrage import x25519

from audit.actions import Action
from audit.models import AuditEntry
from customers.models import Category, Customer
from tests.customers.vault import make_customer, make_purchase
from tests.upkeep.conftest import manage
from upkeep import backups
from upkeep.backups import CHECKPOINTS, MANIFEST

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(db, backup_key):
    """Three customers with purchases, and a signed checkpoint of the ledger."""
    # A transactional test's flush removed the categories the migrations wrote.
    Category.objects.get_or_create(code="food", defaults={"name_ja": "食品", "name_en": "Food"})
    customers = [make_customer(email=f"c{n}@example.jp") for n in range(3)]
    for customer in customers:
        make_purchase(customer)
    call_command("audit_checkpoint", "--no-mail")
    return customers


def backup(tmp_path, *args):
    out = io.StringIO()
    path = tmp_path / "shop.tar.age"
    call_command("backup", "--output", str(path), *args, stdout=out)
    return path, out.getvalue()


def decrypt(path, key_file):
    identity = x25519.Identity.from_str(key_file.read_text().splitlines()[-1])
    plain = io.BytesIO()
    with open(path, "rb") as handle:
        pyrage.decrypt_io(handle, plain, [identity])
    plain.seek(0)
    return tarfile.open(fileobj=plain, mode="r:")


def restored_count(url, table):
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://")) as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608


def test_it_round_trips_into_an_empty_database(shop, backup_key, tmp_path, empty_database):
    path, said = backup(tmp_path)
    assert "3 customers" in said
    done = manage("restore", str(path), "--identity", str(backup_key), database_url=empty_database)
    assert done.returncode == 0, done.stderr
    assert "ledger intact" in done.stdout
    assert "last signed checkpoint (entry" in done.stdout
    assert "sampled sealed values open with the configured keys" in done.stdout
    assert "restored and checked" in done.stdout
    assert restored_count(empty_database, "customers_customer") == 3
    assert restored_count(empty_database, "customers_purchase") == 3
    # The restore's own entry, chained after what it restored.
    head = AuditEntry.objects.order_by("-seq").first().seq  # the backup.made entry
    assert restored_count(empty_database, "audit_auditentry") == head


def test_the_archive_holds_the_dump_checkpoints_and_manifest_never_the_keys(
    shop, backup_key, tmp_path, settings
):
    path, _ = backup(tmp_path)
    with decrypt(path, backup_key) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile(MANIFEST))
        checkpoints = tar.extractfile(CHECKPOINTS).read().decode()
    assert names == {MANIFEST, CHECKPOINTS, manifest["database"]["member"]}
    assert manifest["counts"]["customers"] == 3
    assert manifest["engine"] == connection.vendor
    assert manifest["schema"]["upkeep"] == "0002_security_checks"
    assert "shopguard-audit-checkpoint" in checkpoints
    raw = path.read_bytes()
    assert raw.startswith(b"age-encryption.org/v1")
    for key in (*settings.FIELD_ENCRYPTION_KEYS.values(), settings.BLIND_INDEX_KEY):
        assert key not in raw
    assert b"example.jp" not in raw and "山田".encode() not in raw


def test_each_backup_is_a_ledger_entry(shop, backup_key, tmp_path):
    path, _ = backup(tmp_path)
    entry = AuditEntry.objects.filter(action=Action.BACKUP_MADE).get()
    assert entry.detail["file"] == path.name
    assert entry.detail["counts"]["customers"] == 3
    assert entry.detail["bytes"] == path.stat().st_size


def test_it_writes_into_the_backup_folder_by_default(shop, backup_key, settings):
    call_command("backup", stdout=io.StringIO())
    [made] = os.listdir(settings.BACKUP_DIR)
    assert made.startswith("shopguard-") and made.endswith(".tar.age")


def test_it_refuses_without_a_recipient(shop, backup_key, settings, tmp_path):
    settings.BACKUP_RECIPIENT = ""
    with pytest.raises(CommandError, match="BACKUP_RECIPIENT is not set"):
        backup(tmp_path)
    assert not AuditEntry.objects.filter(action=Action.BACKUP_MADE).exists()


def test_a_failed_encryption_leaves_no_archive_and_no_entry(
    shop, backup_key, tmp_path, monkeypatch
):
    """The encryption runs in a child process: when it fails, the backup says why,
    naming the file, and leaves neither an archive nor a part of one."""

    class Unusable:
        def __str__(self):
            return "age1-not-a-key"

    monkeypatch.setattr(backups, "recipients", lambda: [Unusable()])
    with pytest.raises(CommandError, match=r"The encryption of shop\.tar\.age\.part failed: .*"):
        backup(tmp_path)
    assert list(tmp_path.glob("shop.tar.age*")) == []
    assert not AuditEntry.objects.filter(action=Action.BACKUP_MADE).exists()


def test_the_archive_s_sha256_in_the_ledger_is_the_file_s(shop, backup_key, tmp_path):
    """Hashed as the child writes it: the entry's SHA-256 is the whole file's."""
    path, said = backup(tmp_path)
    entry = AuditEntry.objects.filter(action=Action.BACKUP_MADE).get()
    assert entry.detail["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry.detail["sha256"] in said


def test_it_refuses_a_damaged_archive_by_name(shop, backup_key, tmp_path, empty_database):
    path, _ = backup(tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    done = manage("restore", str(path), "--identity", str(backup_key), database_url=empty_database)
    assert done.returncode == 1
    assert f"The archive {path} is damaged or altered" in done.stderr
    assert_still_empty(empty_database)


def test_it_refuses_an_archive_altered_and_encrypted_again(
    shop, backup_key, tmp_path, empty_database, settings
):
    """The public key is no secret: anyone may encrypt a forged archive to it."""
    path, _ = backup(tmp_path)
    with decrypt(path, backup_key) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    manifest = json.loads(members[MANIFEST])
    members[manifest["checkpoints"]["member"]] += b"# forged\n"
    forged = io.BytesIO()
    with tarfile.open(fileobj=forged, mode="w:") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    recipient = x25519.Recipient.from_str(settings.BACKUP_RECIPIENT)
    path.write_bytes(pyrage.encrypt(forged.getvalue(), [recipient]))
    done = manage("restore", str(path), "--identity", str(backup_key), database_url=empty_database)
    assert done.returncode == 1
    assert "is altered: its checkpoints.txt does not match the manifest" in done.stderr
    assert_still_empty(empty_database)


def test_it_refuses_the_wrong_key(shop, backup_key, tmp_path, empty_database):
    path, _ = backup(tmp_path)
    other = tmp_path / "other-key.txt"
    other.write_text(str(x25519.Identity.generate()) + "\n")
    done = manage("restore", str(path), "--identity", str(other), database_url=empty_database)
    assert done.returncode == 1
    assert "was not made for this key" in done.stderr
    assert_still_empty(empty_database)


def test_it_refuses_a_database_that_is_not_empty(shop, backup_key, tmp_path):
    path, _ = backup(tmp_path)
    with pytest.raises(CommandError, match="is not empty .* holds 3 customers"):
        call_command("restore", str(path), "--identity", str(backup_key))
    assert Customer.objects.count() == 3


def test_it_says_when_the_keys_do_not_open_the_values(shop, backup_key, tmp_path, empty_database):
    from vault.keys import new_field_key

    path, _ = backup(tmp_path)
    done = manage(
        "restore",
        str(path),
        "--identity",
        str(backup_key),
        database_url=empty_database,
        FIELD_ENCRYPTION_KEYS=new_field_key(),
    )
    assert done.returncode == 1
    assert "sampled sealed values do NOT open with the configured FIELD_ENCRYPTION_KEYS" in (
        done.stdout
    )


def test_the_age_command_line_opens_a_backup(shop, backup_key, tmp_path):
    if shutil.which("age") is None:
        if os.environ.get("CI"):
            pytest.fail("the age command line is missing (.ci/run installs it)")
        pytest.skip("the age command line is not installed")
    path, _ = backup(tmp_path)
    opened = subprocess.run(
        ["age", "--decrypt", "--identity", str(backup_key), str(path)],
        capture_output=True,
        check=True,
    )
    with tarfile.open(fileobj=io.BytesIO(opened.stdout), mode="r:") as tar:
        manifest = json.load(tar.extractfile(MANIFEST))
    assert manifest["counts"]["customers"] == 3


def assert_still_empty(url):
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if os.path.exists(path):
            with sqlite3.connect(path) as db:
                assert db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
        return
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://")) as db:
        tables = db.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]
    assert tables == 0
