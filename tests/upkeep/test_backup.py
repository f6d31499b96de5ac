import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import threading

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


# Holding SQLite's file still (upkeep.backups.still_sqlite_file) ---------------------------

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's own file is held still"
)


def wal_database(path):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE rows (n INTEGER, filler BLOB)")
    db.execute("INSERT INTO rows VALUES (0, zeroblob(4000))")
    return db


def file_sha256(path, size):
    """Hashed by another process: closing a descriptor of the file in this one would
    drop SQLite's locks on it (upkeep/archiving.py says why)."""
    code = (
        "import hashlib, sys; "
        "print(hashlib.sha256(open(sys.argv[1], 'rb').read(int(sys.argv[2]))).hexdigest())"
    )
    return subprocess.run(
        [sys.executable, "-c", code, str(path), str(size)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@sqlite_only
def test_the_held_file_does_not_change_while_the_shop_writes(tmp_path):
    path = tmp_path / "live.sqlite3"
    writer = wal_database(path)
    with backups.still_sqlite_file(str(path)) as size:
        assert size == os.path.getsize(path)
        before = file_sha256(path, size)
        for n in range(1, 1500):  # past SQLite's automatic checkpoint of 1,000 pages
            writer.execute("INSERT INTO rows VALUES (?, zeroblob(4000))", (n,))
        assert os.path.getsize(path.with_name("live.sqlite3-wal")) > 0
        assert file_sha256(path, size) == before
    assert writer.execute("SELECT count(*) FROM rows").fetchone()[0] == 1500


@sqlite_only
def test_a_file_that_cannot_be_held_still_is_said_so(tmp_path):
    """An older reader keeps writes in the WAL that no checkpoint may move yet: the
    file is not the database by itself, and the backup must copy it instead."""
    path = tmp_path / "live.sqlite3"
    writer = wal_database(path)
    older = sqlite3.connect(path, isolation_level=None)
    older.execute("BEGIN")
    older.execute("SELECT count(*) FROM rows").fetchone()
    writer.execute("INSERT INTO rows VALUES (1, zeroblob(4000))")
    with backups.still_sqlite_file(str(path), attempts=2) as size:
        assert size is None
    older.execute("ROLLBACK")
    with backups.still_sqlite_file(str(path), attempts=2) as size:
        assert size == os.path.getsize(path)


@sqlite_only
def test_a_writer_holding_the_lock_costs_a_short_wait_not_an_error(tmp_path):
    """A connection in the middle of a write: each try waits STILL_WAIT, then gives up;
    the backup would copy instead, seconds later, not minutes, and raise nothing."""
    import time

    path = tmp_path / "live.sqlite3"
    writer = wal_database(path)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO rows VALUES (1, zeroblob(4000))")
    started = time.monotonic()
    with backups.still_sqlite_file(str(path), attempts=3) as size:
        assert size is None
    assert time.monotonic() - started < 3
    writer.execute("COMMIT")
    with backups.still_sqlite_file(str(path), attempts=2) as size:
        assert size == os.path.getsize(path)


def archived_database(path, key_file, folder):
    with decrypt(path, key_file) as tar:
        tar.extract(backups.SQLITE_MEMBER, folder, filter="data")
        manifest = json.load(tar.extractfile(MANIFEST))
    return folder / backups.SQLITE_MEMBER, manifest


@sqlite_only
def test_a_backup_while_the_shop_writes_is_one_whole_moment(shop, backup_key, tmp_path):
    """Another connection writes all through the backup: the archived database is whole
    (SQLite's integrity check) and holds its ledger as far as the manifest's head."""
    stop = threading.Event()

    def keep_writing():
        with sqlite3.connect(connection.settings_dict["NAME"], timeout=20) as db:
            db.execute("CREATE TABLE IF NOT EXISTS busy_shop (filler BLOB)")
            while not stop.is_set():
                db.execute("INSERT INTO busy_shop VALUES (zeroblob(8000))")
                db.commit()
                stop.wait(0.002)

    writing = threading.Thread(target=keep_writing)
    writing.start()
    try:
        path, _ = backup(tmp_path)
    finally:
        stop.set()
        writing.join(10)
    database, manifest = archived_database(path, backup_key, tmp_path)
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        head = db.execute("SELECT max(seq) FROM audit_auditentry").fetchone()[0]
    assert head >= manifest["ledger"]["head_seq"]


@sqlite_only
def test_a_database_that_cannot_be_held_still_is_copied_instead(
    shop, backup_key, tmp_path, empty_database, monkeypatch
):
    """With an older reader holding writes in the WAL, the backup copies the database
    through SQLite's backup API, and the archive restores as well."""
    monkeypatch.setattr(backups, "STILL_ATTEMPTS", 2)
    older = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    older.execute("BEGIN")
    older.execute("SELECT count(*) FROM customers_customer").fetchone()
    make_customer(email="later@example.jp")  # written to the WAL after the older reader began
    try:
        path, said = backup(tmp_path)
    finally:
        older.execute("ROLLBACK")
        older.close()
    assert "4 customers" in said
    database, _ = archived_database(path, backup_key, tmp_path)
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM customers_customer").fetchone()[0] == 4
    done = manage("restore", str(path), "--identity", str(backup_key), database_url=empty_database)
    assert done.returncode == 0, done.stderr
    assert restored_count(empty_database, "customers_customer") == 4
