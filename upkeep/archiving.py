"""The backup's encryption, run as a child process of ``upkeep.backups.encrypt_members``.

pyrage holds the GIL for the whole of an encryption (it calls back into Python for every
8 KB it reads and 64 KB it writes), so nothing else in its process runs beside it. In a
process of its own it has a core of its own, while the backup's process hashes the
members for the manifest and hashes the archive as it grows: the two SHA-256 no longer
wait for the encryption, nor it for them.

The child reads the members' files itself (no pipe carries hundreds of megabytes) and
makes the tar as pyrage reads it; the only things it is told are, on its standard input,
one line of JSON naming the members (``[[name, path], ...]``) and, after that line, the
manifest, which the parent can only finish once it has hashed the members. It writes the
age file to its standard output (the archive file itself) and is given only the public
keys (arguments). Stdlib and pyrage only: it never imports Django.

Run: ``python -m upkeep.archiving RECIPIENT...``.
"""

import json
import sys
import tarfile
import time

import pyrage

MANIFEST = "manifest.json"
CHUNK = 1 << 20


class TarStream:
    """A readable file of a tar archive made as it is read: each member's header, its
    bytes and padding, then the manifest (``manifest()`` returns its bytes, called only
    once the members have passed) and the archive's end."""

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
        for name, path in self.members:
            with open(path, "rb") as handle:
                size = handle.seek(0, 2)
                handle.seek(0)
                yield tar_header(name, size)
                copied = 0
                while chunk := handle.read(min(CHUNK, size - copied)):
                    copied += len(chunk)
                    yield chunk
            if copied != size:
                raise OSError(f"{name} changed while it was archived.")
            yield padding(size)
        text = self.manifest()
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
    given = sys.stdin.buffer
    members = json.loads(given.readline())
    # The manifest is read only once the members have passed: the parent hashes them
    # meanwhile, and sends it then.
    stream = TarStream(members, lambda: manifest_bytes(json.loads(given.read())))
    pyrage.encrypt_io(stream, sys.stdout.buffer, keys)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
