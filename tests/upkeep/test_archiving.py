"""The backup's encrypting child (upkeep/archiving.py): the tar it makes as pyrage reads
it, and the child run as the backup runs it."""

import hashlib
import io
import json
import subprocess
import sys
import tarfile

import pyrage
import pytest
from pyrage import x25519

from tests.upkeep.conftest import ROOT
from upkeep.archiving import MANIFEST, TarStream


def read_in_small_pieces(stream):
    """As pyrage reads: 8 KB at a time."""
    parts = []
    while part := stream.read(8192):
        parts.append(part)
    return b"".join(parts)


def test_the_stream_is_a_tar_of_the_members_then_the_manifest(tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 9000)  # over 2 MB: several chunks
    small = tmp_path / "small.txt"
    small.write_text("checkpoint\n")
    members = [["database.sqlite3", str(big), None], ["checkpoints.txt", str(small), None]]
    stream = TarStream(members, lambda digests: json.dumps(digests).encode())
    with tarfile.open(fileobj=io.BytesIO(read_in_small_pieces(stream)), mode="r:") as tar:
        assert tar.getnames() == ["database.sqlite3", "checkpoints.txt", MANIFEST]
        assert tar.extractfile("database.sqlite3").read() == big.read_bytes()
        assert tar.extractfile("checkpoints.txt").read() == b"checkpoint\n"
        assert json.load(tar.extractfile(MANIFEST)) == {
            "database.sqlite3": hashlib.sha256(big.read_bytes()).hexdigest(),
            "checkpoints.txt": hashlib.sha256(b"checkpoint\n").hexdigest(),
        }


def test_a_member_with_a_size_is_its_first_bytes_only(tmp_path):
    """The live SQLite file is archived up to the size its read transaction sees; what a
    later write appended is not part of that moment."""
    member = tmp_path / "live.sqlite3"
    member.write_bytes(b"a" * 3_000_000 + b"later")
    stream = TarStream([["database.sqlite3", str(member), 3_000_000]], lambda d: b"{}")
    with tarfile.open(fileobj=io.BytesIO(read_in_small_pieces(stream)), mode="r:") as tar:
        assert tar.extractfile("database.sqlite3").read() == b"a" * 3_000_000


def test_a_member_shorter_than_its_size_stops_the_archive(tmp_path):
    member = tmp_path / "live.sqlite3"
    member.write_bytes(b"a" * 1000)
    stream = TarStream([["database.sqlite3", str(member), 8192]], lambda d: b"{}")
    with pytest.raises(OSError, match="database.sqlite3 holds 1000 bytes, fewer than its 8192"):
        read_in_small_pieces(stream)


def test_the_manifest_is_asked_for_only_after_the_members(tmp_path):
    member = tmp_path / "member.bin"
    member.write_bytes(b"x" * 3_000_000)
    asked = []
    stream = TarStream(
        [["database.sqlite3", str(member), None]], lambda d: asked.append(d) or b"{}"
    )
    stream.read(2_000_000)
    assert asked == []
    read_in_small_pieces(stream)
    assert asked == [{"database.sqlite3": hashlib.sha256(b"x" * 3_000_000).hexdigest()}]


def test_the_child_encrypts_what_it_is_given_for_the_public_key_only(tmp_path):
    identity = x25519.Identity.generate()
    member = tmp_path / "database.sqlite3"
    member.write_bytes(b"rows" * 100_000)
    archive, report = tmp_path / "archive.age", tmp_path / "report.json"
    order = {
        "members": [["database.sqlite3", str(member), None, "database"]],
        "manifest": {"format": "test"},
        "report": str(report),
    }
    with open(archive, "wb") as out:
        done = subprocess.run(
            [sys.executable, "-m", "upkeep.archiving", str(identity.to_public())],
            input=json.dumps(order).encode(),
            stdout=out,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    plain = pyrage.decrypt(archive.read_bytes(), [identity])
    expected = {
        "format": "test",
        "database": {
            "member": "database.sqlite3",
            "sha256": hashlib.sha256(member.read_bytes()).hexdigest(),
        },
    }
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r:") as tar:
        assert tar.extractfile("database.sqlite3").read() == member.read_bytes()
        assert json.load(tar.extractfile(MANIFEST)) == expected
    assert json.loads(report.read_text()) == expected
    assert oct(report.stat().st_mode & 0o777) == "0o600"


def test_a_member_that_shrinks_while_archived_stops_the_archive(tmp_path):
    member = tmp_path / "member.bin"
    member.write_bytes(b"y" * 3_000_000)
    stream = TarStream([["database.sqlite3", str(member), None]], lambda d: b"{}")
    stream.read(1000)  # the header and the start: its size is taken
    member.write_bytes(b"y" * 10)
    with pytest.raises(OSError, match="database.sqlite3 changed while it was archived"):
        read_in_small_pieces(stream)
