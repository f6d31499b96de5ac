"""The backup's encryption, run as a child process of ``upkeep.backups.Encryption``.

pyrage holds the GIL for the whole of an encryption (it calls back into Python for every
8 KB it reads and 64 KB it writes), so nothing else in its process runs beside it. In a
process of its own it has a core of its own, while the backup's process hashes the
archive as it grows.

The child reads the members' files itself (no pipe carries hundreds of megabytes) and
makes the tar as pyrage reads it. A member may be the shop's live SQLite file, which the
backup holds still with a read transaction (``upkeep.backups.still_sqlite_file``): only
another process may open that file outside SQLite, since closing a file descriptor drops
every lock its own process holds on the file (POSIX record locks), SQLite's among them.
So the child also hashes the members for the manifest, in a thread beside pyrage
(hashlib lets go of the GIL while it hashes), and writes the manifest last.

It is told, on its standard input, one JSON document: ``members`` (``[[name, path,
size, manifest key], ...]``; a size of ``null`` means the whole file, a number the first
that many bytes), ``manifest`` (everything but the members' hashes) and ``report`` (a
file to which it writes the finished manifest for the backup's process). It writes the
age file to its standard output (the archive file itself) and is given only the public
keys (arguments). Stdlib and pyrage only: it never imports Django.

Run: ``python -m upkeep.archiving RECIPIENT...``.
"""

import hashlib
import json
import os
import queue
import sys
import tarfile
import threading
import time

import pyrage

MANIFEST = "manifest.json"
CHUNK = 1 << 20


class Hasher(threading.Thread):
    """SHA-256 of each member, computed beside the encryption; a bounded queue of 1 MB
    chunks keeps memory flat."""

    def __init__(self):
        super().__init__(name="backup-member-hash", daemon=True)
        self.chunks: queue.Queue = queue.Queue(maxsize=16)
        self.digests: dict = {}

    def run(self):
        while (item := self.chunks.get()) is not None:
            name, chunk = item
            self.digests[name].update(chunk)

    def begin(self, name):
        if not self.is_alive():
            self.start()
        self.digests[name] = hashlib.sha256()

    def add(self, name, chunk):
        self.chunks.put((name, chunk))

    def result(self):
        """The members' SHA-256 by name, once every chunk is hashed."""
        if self.is_alive():
            self.chunks.put(None)
            self.join()
        return {name: digest.hexdigest() for name, digest in self.digests.items()}


class TarStream:
    """A readable file of a tar archive made as it is read: each member's header, its
    bytes and padding, then the manifest and the archive's end. ``manifest(digests)``
    returns the manifest's bytes; it is called with the members' SHA-256 by name once
    they have all passed."""

    def __init__(self, members, manifest):
        self.members, self.manifest = members, manifest
        self._chunks = self._generate()
        self._current, self._position = b"", 0

    def read(self, size=-1):
        if size is None or size < 0:
            return b"".join([self._current[self._position :], *self._chunks])
        # The usual case (the encryption asks for 8 KB, a chunk holds 1 MB): one slice.
        end = self._position + size
        if end <= len(self._current):
            part, self._position = self._current[self._position : end], end
            return part
        parts = []
        while size > 0:
            if self._position >= len(self._current):
                self._current, self._position = next(self._chunks, b""), 0
                if not self._current:
                    break
            part = self._current[self._position : self._position + size]
            self._position += len(part)
            size -= len(part)
            parts.append(part)
        return b"".join(parts)

    def _generate(self):
        hasher = Hasher()
        for name, path, size in self.members:
            with open(path, "rb") as handle:
                whole = handle.seek(0, os.SEEK_END)
                size = whole if size is None else size
                if whole < size:
                    raise OSError(f"{name} holds {whole} bytes, fewer than its {size}.")
                handle.seek(0)
                yield tar_header(name, size)
                hasher.begin(name)
                copied = 0
                while copied < size and (chunk := handle.read(min(CHUNK, size - copied))):
                    copied += len(chunk)
                    hasher.add(name, chunk)
                    yield chunk
            if copied != size:
                raise OSError(f"{name} changed while it was archived.")
            yield padding(size)
        text = self.manifest(hasher.result())
        yield tar_header(MANIFEST, len(text)) + text + padding(len(text))
        yield b"\0" * (2 * tarfile.BLOCKSIZE)  # the end of the archive


def tar_header(name, size):
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(time.time())
    return info.tobuf(format=tarfile.PAX_FORMAT)


def padding(size):
    return b"\0" * (-size % tarfile.BLOCKSIZE)


def manifest_bytes(manifest):
    return json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")


def main(arguments):
    keys = [pyrage.x25519.Recipient.from_str(key) for key in arguments]
    order = json.loads(sys.stdin.buffer.read())
    members, manifest = order["members"], order["manifest"]

    def finished(digests):
        for name, _path, _size, key in members:
            manifest[key] = {"member": name, "sha256": digests[name]}
        text = manifest_bytes(manifest)
        if order.get("report"):
            fd = os.open(order["report"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as report:
                report.write(text)
        return text

    stream = TarStream([member[:3] for member in members], finished)
    pyrage.encrypt_io(stream, sys.stdout.buffer, keys)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
