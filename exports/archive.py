"""The archive writer: customers' chosen fields as CSV inside an AES-256 zip, streamed
row by row so memory stays flat whatever the number of customers."""

import csv
import hashlib
import io
import secrets

import pyzipper

from customers.models import Customer
from shopguard.spreadsheet import safe_cell

# Rows fetched per database round trip while writing the archive: memory stays flat.
CHUNK_ROWS = 2000


def new_archive_password():
    """A fresh archive password: 20 URL-safe characters, about 120 bits."""
    return secrets.token_urlsafe(15)


def write_archive(fileobj, fields, password, *, using=None):
    """Stream every customer's ``fields`` as CSV into an AES-256 zip; return the row count.

    ``using`` names another database alias to read from (the export benchmark's
    throwaway database); by default the router's choice, as for any query.
    """
    rows = 0
    with pyzipper.AESZipFile(fileobj, "w", compression=pyzipper.ZIP_DEFLATED) as archive:
        archive.setpassword(password.encode())
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        with archive.open("customers.csv", "w", force_zip64=True) as member:
            text = io.TextIOWrapper(member, encoding="utf-8-sig", newline="")
            writer = csv.writer(text)
            writer.writerow(["id", *fields])
            queryset = (
                Customer.objects.using(using).only("id", *fields).order_by("created_at", "id")
            )
            for customer in queryset.iterator(chunk_size=CHUNK_ROWS):
                writer.writerow([customer.pk, *(safe_cell(getattr(customer, f)) for f in fields)])
                rows += 1
            text.flush()
            text.detach()
    return rows


def sha256_of(fileobj):
    """The SHA-256 of the written archive, as hex (the take-out record keeps it)."""
    digest = hashlib.sha256()
    fileobj.seek(0)
    for block in iter(lambda: fileobj.read(1 << 20), b""):
        digest.update(block)
    fileobj.seek(0)
    return digest.hexdigest()
