"""The archive writer: customers' chosen fields as CSV inside an AES-256 zip, streamed
row by row so memory stays flat whatever the number of customers."""

import csv
import hashlib
import io
import secrets
from contextlib import closing

import pyzipper

from customers import reading
from shopguard.spreadsheet import safe_cell


def new_archive_password():
    """A fresh archive password: 20 URL-safe characters, about 120 bits."""
    return secrets.token_urlsafe(15)


def write_archive(fileobj, fields, password, *, using=None, carried=None):
    """Stream every customer's ``fields`` as CSV into an AES-256 zip; return the row count.

    The rows come from the reading path (``customers.reading.export_rows``); the id of
    every customer written is appended to ``carried`` (a list) for the download's ledger
    entry. ``using`` names another database alias to read from (the export benchmark's
    throwaway database); by default the router's choice, as for any query.
    """
    carried = [] if carried is None else carried
    with pyzipper.AESZipFile(fileobj, "w", compression=pyzipper.ZIP_DEFLATED) as archive:
        archive.setpassword(password.encode())
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        with archive.open("customers.csv", "w", force_zip64=True) as member:
            text = io.TextIOWrapper(member, encoding="utf-8-sig", newline="")
            writer = csv.writer(text)
            writer.writerow(["id", *fields])
            with closing(reading.export_rows(fields, carried=carried, using=using)) as rows:
                for pk, values in rows:
                    writer.writerow([pk, *(safe_cell(v) for v in values)])
            text.flush()
            text.detach()
    return len(carried)


def sha256_of(fileobj):
    """The SHA-256 of the written archive, as hex (the take-out record keeps it)."""
    digest = hashlib.sha256()
    fileobj.seek(0)
    for block in iter(lambda: fileobj.read(1 << 20), b""):
        digest.update(block)
    fileobj.seek(0)
    return digest.hexdigest()
