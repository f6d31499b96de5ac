"""The backup's encrypting child (upkeep/archiving.py): the tar it makes as pyrage reads
it, and the child run as the backup runs it."""

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
    members = [["database.sqlite3", str(big)], ["checkpoints.txt", str(small)]]
    stream = TarStream(members, lambda: b'{"a": 1}')
    with tarfile.open(fileobj=io.BytesIO(read_in_small_pieces(stream)), mode="r:") as tar:
        assert tar.getnames() == ["database.sqlite3", "checkpoints.txt", MANIFEST]
        assert tar.extractfile("database.sqlite3").read() == big.read_bytes()
        assert tar.extractfile("checkpoints.txt").read() == b"checkpoint\n"
        assert json.load(tar.extractfile(MANIFEST)) == {"a": 1}


def test_the_manifest_is_asked_for_only_after_the_members(tmp_path):
    member = tmp_path / "member.bin"
    member.write_bytes(b"x" * 3_000_000)
    asked = []
    stream = TarStream([["database.sqlite3", str(member)]], lambda: asked.append(1) or b"{}")
    stream.read(2_000_000)
    assert asked == []
    read_in_small_pieces(stream)
    assert asked == [1]


def test_the_child_encrypts_what_it_is_given_for_the_public_key_only(tmp_path):
    identity = x25519.Identity.generate()
    member = tmp_path / "database.sqlite3"
    member.write_bytes(b"rows" * 100_000)
    archive = tmp_path / "archive.age"
    with open(archive, "wb") as out:
        done = subprocess.run(
            [sys.executable, "-m", "upkeep.archiving", str(identity.to_public())],
            input=json.dumps([["database.sqlite3", str(member)]]).encode()
            + b"\n"
            + json.dumps({"format": "test"}).encode(),
            stdout=out,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    plain = pyrage.decrypt(archive.read_bytes(), [identity])
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r:") as tar:
        assert tar.extractfile("database.sqlite3").read() == member.read_bytes()
        assert json.load(tar.extractfile(MANIFEST)) == {"format": "test"}


def test_a_member_that_shrinks_while_archived_stops_the_archive(tmp_path):
    member = tmp_path / "member.bin"
    member.write_bytes(b"y" * 3_000_000)
    stream = TarStream([["database.sqlite3", str(member)]], lambda: b"{}")
    stream.read(1000)  # the header and the start: its size is taken
    member.write_bytes(b"y" * 10)
    with pytest.raises(OSError, match="database.sqlite3 changed while it was archived"):
        read_in_small_pieces(stream)
