"""Encrypted backups that the server itself cannot read, and their restore.

One archive is an age file (https://age-encryption.org/v1, through ``pyrage``) encrypted
to the public key(s) in ``BACKUP_RECIPIENT``; inside it, a tar of three members:

* ``database.sqlite3`` (SQLite's online backup API) or ``database.pgdump`` (``pg_dump
  --format=custom``), the database as it was at one moment;
* ``checkpoints.txt``, the ledger's signed checkpoints (``AUDIT_CHECKPOINT_FILE``);
* ``manifest.json``: when, from which schema, the ledger's head, counts, and the SHA-256
  of the two other members.

The server holds only the public key: a stolen server or a stolen backup store opens
nothing. The field keys are never in the archive (they are the shop's, kept apart:
docs/operations.md); a stolen archive *and* its private key still hold only sealed
values. ``age -d -i key.txt FILE | tar x`` opens an archive anywhere.

The encryption runs in a child process (``upkeep.archiving``) that makes the tar as it
encrypts it and hashes the members beside it, while this process hashes the archive.
A SQLite database is read once, from the shop's own file held still by a read
transaction (``still_sqlite_file``), never copied first; a PostgreSQL dump is the only
plaintext file, in a private temporary folder removed at once. Memory stays flat at any
size.
"""

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

import pyrage
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from audit.actions import Action
from audit.ledger import current_head, record
from audit.models import AuditEntry
from customers.models import Customer, Purchase
from upkeep.archiving import MANIFEST

FORMAT = "shopguard-backup 1"
CHECKPOINTS = "checkpoints.txt"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
COPY_CHUNK = 1 << 20
# Holding the SQLite file still (``still_sqlite_file``): tries, and the pause between
# them, before the backup copies the database through the backup API instead.
STILL_ATTEMPTS = 20
STILL_PAUSE = 0.05
# How long one try waits for the shop's readers and writers to let the log be emptied:
# short, so that a long reader costs the backup a second, not minutes, before the copy.
STILL_WAIT = 0.1


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why, naming the file."""


@dataclass
class Made:
    """What ``make_backup`` wrote."""

    path: Path
    size: int
    sha256: str
    manifest: dict = field(default_factory=dict)


# Keys ------------------------------------------------------------------------------------


def recipients(text=None):
    """The age recipients of ``BACKUP_RECIPIENT`` (or ``text``); stops naming the setting."""
    text = settings.BACKUP_RECIPIENT if text is None else text
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise BackupError(
            "BACKUP_RECIPIENT is not set: backups are encrypted to the shop's age public "
            "key (age1...), whose private key is kept away from the server "
            "(docs/operations.md, 'Backups')."
        )
    try:
        return [pyrage.x25519.Recipient.from_str(name) for name in names]
    except pyrage.RecipientError:
        raise BackupError("BACKUP_RECIPIENT is not an age public key (age1...).") from None


def identities(path):
    """The age identities (AGE-SECRET-KEY-1...) in the file at ``path``."""
    try:
        lines = Path(path).read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise BackupError(f"The identity file {path} cannot be read: {error}") from None
    keys = [line.strip() for line in lines if line.strip().startswith("AGE-SECRET-KEY-")]
    try:
        found = [pyrage.x25519.Identity.from_str(key) for key in keys]
    except pyrage.IdentityError:
        found = []
    if not found:
        raise BackupError(f"The identity file {path} holds no age private key.")
    return found


# Making a backup --------------------------------------------------------------------------


def default_output(moment):
    stamp = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.BACKUP_DIR) / f"shopguard-{stamp}.tar.age"


def make_backup(output=None):
    """Write one encrypted archive of the database (``output`` or one in ``BACKUP_DIR``)
    and record it in the ledger; return ``Made``."""
    keys = recipients()
    moment = timezone.now()
    output = Path(output) if output else default_output(moment)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="shopguard-backup-") as work:
        work = Path(work)
        os.chmod(work, 0o700)
        manifest = describe(moment)
        partial = output.with_name(output.name + ".part")
        encryption = Encryption(partial, keys)  # starts up while the database is readied
        try:
            checkpoints = work / CHECKPOINTS
            copy_checkpoints(checkpoints)
            with database_member(work) as (member, path, size):
                digest, manifest = encryption.finish(
                    [
                        (member, path, size, "database"),
                        (CHECKPOINTS, checkpoints, None, "checkpoints"),
                    ],
                    manifest,
                    work / "manifest.json",
                )
            os.replace(partial, output)
        finally:
            encryption.stop()
            partial.unlink(missing_ok=True)
    made = Made(output, output.stat().st_size, digest, manifest)
    record(
        Action.BACKUP_MADE,
        target=("upkeep.backup", manifest["time"]),
        detail={
            "file": output.name,
            "bytes": made.size,
            "sha256": made.sha256,
            "head_seq": manifest["ledger"]["head_seq"],
            "counts": manifest["counts"],
            "database": connection.vendor,
        },
    )
    return made


def describe(moment):
    """The manifest's facts about the database now (no personal data: counts and names).
    Read before the dump: anything written in between is in the dump, not counted here."""
    head = current_head()
    applied = MigrationRecorder.Migration.objects.values_list("app", "name")
    schema = {}
    for app, name in applied:
        schema[app] = max(schema.get(app, ""), name)
    return {
        "format": FORMAT,
        "time": moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "engine": connection.vendor,
        "schema": schema,
        "ledger": {"head_seq": head.seq if head else 0, "head": head.chain if head else ""},
        "counts": {
            "customers": Customer.objects.count(),
            "purchases": Purchase.objects.count(),
            "ledger_entries": AuditEntry.objects.count(),
        },
    }


@contextlib.contextmanager
def database_member(work):
    """The database as it is at one moment, as ``(member name, path, size)`` for the
    archive, valid inside the ``with``.

    SQLite: the shop's own file, held still by a read transaction while the archive is
    made (``still_sqlite_file``), so it is read once, straight into the encryption;
    when it cannot be held still, a copy through SQLite's online backup API into
    ``work``. PostgreSQL: ``pg_dump --format=custom`` into ``work``. A size of ``None``
    means the whole file."""
    if connection.vendor == "sqlite":
        name = connection.settings_dict["NAME"]
        with still_sqlite_file(name) as size:
            if size is not None:
                yield SQLITE_MEMBER, Path(name), size
                return
        path = work / SQLITE_MEMBER
        sqlite_backup(name, path, durable=False)
        yield SQLITE_MEMBER, path, None
    elif connection.vendor == "postgresql":
        path = work / PG_MEMBER
        run_pg_tool(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={path}"]
        )
        yield PG_MEMBER, path, None
    else:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {connection.vendor}.")


@contextlib.contextmanager
def still_sqlite_file(path, attempts=None):
    """Hold the SQLite file at ``path`` still for the ``with``: yields how many of its
    bytes are the database at one moment, or ``None`` when it could not be held still.

    A read transaction sees the database as it was when it began. In WAL mode the
    shop's writes then go to the ``-wal`` file, and SQLite copies them into the main
    file only up to where the oldest reader began: a reader that began when every
    write was already in the main file (the WAL empty) keeps the main file as it is
    until it ends (https://www.sqlite.org/wal.html, "Checkpointing"). So: move the WAL
    into the main file and empty it (``wal_checkpoint(TRUNCATE)``), begin, and check
    that the WAL is still empty, that is no write came in between; else end and try
    again (each try waits at most ``STILL_WAIT`` for other connections). In a
    rollback-journal mode, the read transaction's shared lock alone keeps
    writers out of the file. Writers are never blocked while the file is held, and the
    file is read by the encryption's own process (``upkeep.archiving`` says why)."""
    attempts = STILL_ATTEMPTS if attempts is None else attempts
    reader = sqlite3.connect(path, isolation_level=None, timeout=STILL_WAIT)
    try:
        size = _hold_still(reader, Path(f"{path}-wal"), attempts)
        yield size
    finally:
        reader.close()  # ends the read transaction


def _hold_still(reader, wal, attempts):
    wal_mode = reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    for attempt in range(attempts):
        if attempt:
            time.sleep(STILL_PAUSE)
        try:
            size = _try_to_hold(reader, wal, wal_mode)
        except sqlite3.OperationalError:  # busy past STILL_WAIT: another try
            size = None
        if size is not None:
            return size
        if reader.in_transaction:
            reader.execute("ROLLBACK")
    return None


def _try_to_hold(reader, wal, wal_mode):
    """The file's size when the read transaction this begins holds it still, else None
    (the transaction is then left for the caller to end)."""
    emptied = not wal_mode or reader.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the moment is set
    if not (emptied and (not wal_mode or _size(wal) == 0)):
        return None
    pages = reader.execute("PRAGMA page_count").fetchone()[0]
    return pages * reader.execute("PRAGMA page_size").fetchone()[0]


def _size(path):
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def sqlite_backup(source, target, durable=True):
    """Copy the SQLite database at ``source`` to ``target`` with the online backup API
    (a consistent copy while the shop keeps writing: in one step, that is one read
    transaction, since a step-by-step copy starts again whenever another connection
    writes between its steps, which a busy shop always does). ``durable=False``: the copy is a
    temporary file read at once and removed, so nothing is synced to disk for it (no
    journal, no fsync); its content is the same."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        if not durable:
            dst.execute("PRAGMA journal_mode=OFF")
            dst.execute("PRAGMA synchronous=OFF")
        src.backup(dst, pages=-1)
    finally:
        dst.close()
        src.close()


def run_pg_tool(command, settings_dict=None):
    """Run ``pg_dump`` or ``pg_restore`` against the configured PostgreSQL database; the
    password, if any, goes through the environment, never the command line."""
    db = settings_dict or connection.settings_dict
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    options = [f"--dbname={db['NAME']}"]
    if db.get("HOST"):
        options.append(f"--host={db['HOST']}")
    if db.get("PORT"):
        options.append(f"--port={db['PORT']}")
    if db.get("USER"):
        options.append(f"--username={db['USER']}")
    done = subprocess.run(  # noqa: S603 (fixed tool names, no shell)
        [*command, *options], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[:500]}")


def copy_checkpoints(target):
    source = Path(settings.AUDIT_CHECKPOINT_FILE)
    if source.is_file():
        shutil.copyfile(source, target)
    else:
        target.write_text("# no signed checkpoint yet (audit_checkpoint)\n", encoding="ascii")


class Encryption:
    """The child process that encrypts one archive into ``output`` (``upkeep.archiving``,
    where the reasons are), started before the database is dumped so that its start-up
    overlaps the dump. ``finish`` gives it the members, hashes them for the manifest
    while it encrypts them, sends it the manifest, and hashes the archive as it grows."""

    def __init__(self, output, keys):
        self.output = output
        self.errors = tempfile.TemporaryFile()
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            self.child = subprocess.Popen(  # noqa: S603 (this Python, our module, public keys)
                [sys.executable, "-m", "upkeep.archiving", *(str(key) for key in keys)],
                cwd=settings.BASE_DIR,
                stdin=subprocess.PIPE,
                stdout=fd,
                stderr=self.errors,
            )
        finally:
            os.close(fd)

    def finish(self, members, manifest, report):
        """Encrypt a tar of ``members`` ((name, path, size or ``None`` for the whole
        file, manifest key)) and, last, the manifest with their SHA-256, which the child
        also writes to ``report``; return the archive's SHA-256 and that manifest."""
        follower = _Follower(self.output)
        follower.start()
        try:
            with contextlib.suppress(BrokenPipeError):  # the child stopped: see below
                order = {
                    "members": [[name, str(path), size, key] for name, path, size, key in members],
                    "manifest": manifest,
                    "report": str(report),
                }
                self.child.stdin.write(json.dumps(order).encode("utf-8"))
                self.child.stdin.close()
            status = self.child.wait()
        finally:
            follower.finish()
        if status != 0:
            self.errors.seek(0)
            said = self.errors.read().decode("utf-8", "replace").strip().splitlines()
            reason = said[-1] if said else f"exit status {status}"
            raise BackupError(f"The encryption of {self.output.name} failed: {reason[:500]}")
        return follower.digest.hexdigest(), json.loads(Path(report).read_text(encoding="utf-8"))

    def stop(self):
        """Stop the child if it still runs (the backup failed), and clean up."""
        if self.child.poll() is None:
            self.child.kill()
        with contextlib.suppress(BrokenPipeError):
            self.child.stdin.close()
        self.child.wait()
        self.errors.close()


class _Follower(threading.Thread):
    """Hashes a file while another process writes it, to its end once ``finish()`` is
    called (the writer has exited). It reads what was just written, normally still in
    the page cache, 1 MB at a time: the archive is never held in memory."""

    def __init__(self, path):
        super().__init__(name="backup-archive-hash", daemon=True)
        self.path, self.digest = path, hashlib.sha256()
        self._finished = threading.Event()
        self.error: OSError | None = None

    def run(self):
        try:
            with open(self.path, "rb") as handle:
                while True:
                    finished = self._finished.is_set()  # before the read: EOF is the end
                    if chunk := handle.read(COPY_CHUNK):
                        self.digest.update(chunk)
                    elif finished:
                        return
                    else:
                        self._finished.wait(0.01)
        except OSError as error:
            self.error = error

    def finish(self):
        self._finished.set()
        self.join()
        if self.error is not None:
            raise BackupError(f"{self.path.name} could not be read back: {self.error}")


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(COPY_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# Opening a backup -------------------------------------------------------------------------


@dataclass
class Opened:
    """An archive decrypted and checked into a private folder."""

    folder: Path
    manifest: dict
    database: Path
    checkpoints: Path


def open_archive(archive, identity_file, folder):
    """Decrypt ``archive`` with the identities in ``identity_file`` into ``folder`` and
    check every member against the manifest; ``BackupError`` naming the archive when it
    is damaged, altered, truncated or not made for this key."""
    keys = identities(identity_file)
    archive = Path(archive)
    plain = Path(folder) / "archive.tar"
    try:
        with open(archive, "rb") as source, open(plain, "wb") as target:
            pyrage.decrypt_io(source, target, keys)
    except FileNotFoundError:
        raise BackupError(f"The archive {archive} does not exist.") from None
    except (OSError, pyrage.DecryptError) as error:
        plain.unlink(missing_ok=True)
        raise BackupError(
            f"The archive {archive} is damaged or altered, or was not made for this key "
            f"({error}): nothing was restored."
        ) from None
    try:
        opened = _unpack(plain, Path(folder))
    finally:
        plain.unlink(missing_ok=True)
    for part in ("database", "checkpoints"):
        expected = opened.manifest.get(part, {}).get("sha256")
        path = opened.database if part == "database" else opened.checkpoints
        if expected != sha256_of(path):
            raise BackupError(
                f"The archive {archive} is altered: its {path.name} does not match the "
                "manifest. Nothing was restored."
            )
    return opened


def _unpack(plain, folder):
    with tarfile.open(plain, mode="r:") as tar:
        names = set(tar.getnames())
        if MANIFEST not in names:
            raise BackupError(f"{plain.name} holds no manifest: it is not a ShopGuard backup.")
        tar.extractall(folder, filter="data")
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError("The archive is not a ShopGuard backup of a known format.")
    return Opened(
        folder=folder,
        manifest=manifest,
        database=folder / manifest["database"]["member"],
        checkpoints=folder / manifest["checkpoints"]["member"],
    )


def manifest_text(manifest):
    """The manifest's facts on one line (for the restore's report)."""
    counts = manifest.get("counts", {})
    return (
        f"backup of {manifest.get('time')} ({manifest.get('engine')}): "
        f"{counts.get('customers')} customers, {counts.get('purchases')} purchases, "
        f"{counts.get('ledger_entries')} ledger entries, head {manifest['ledger']['head_seq']}"
    )
