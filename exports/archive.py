"""The archive writer: customers' chosen fields as CSV inside an AES-256 zip, streamed
row by row so memory stays flat whatever the number of customers."""

import csv
import hashlib
import io
import secrets
from contextlib import closing

import pyzipper
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from customers import reading
from customers.fields import label
from vault.japan import domestic_phone
from vault.spreadsheet import safe_text_cells


def new_archive_password():
    """A fresh archive password: 20 URL-safe characters, about 120 bits."""
    return secrets.token_urlsafe(15)


# zlib's fastest level: the CSV still shrinks about tenfold, and the writer keeps pace
# with the reading (level 6 makes the archive 8 % smaller for a tenth more time).
DEFLATE_LEVEL = 1
# The first column numbers the customers within this file (1, 2, ...): it links
# purchases.csv to customers.csv without carrying ShopGuard's internal ids out.
NUMBER_HEADER = _("番号")
PURCHASE_HEADER = [NUMBER_HEADER, _("購入日"), _("カテゴリ"), _("金額"), _("商品名")]
# Values written in one form whatever way they were typed (the carriers' and the
# spreadsheets' form): phones as 090-1234-5678.
CELL_FORMS = {"phone": domestic_phone}


def headers(fields, language="ja"):
    """The CSV headers of customers.csv and purchases.csv in ``language`` (the glossary's
    words: the fields' own labels)."""
    with translation.override(language):
        customers = [str(NUMBER_HEADER), *(str(label(f)) for f in fields)]
        return customers, [str(h) for h in PURCHASE_HEADER]


def write_archive(
    fileobj,
    fields,
    password,
    *,
    using=None,
    carried=None,
    customer_ids=None,
    purchases=None,
    encoding="utf-8-sig",
    language="ja",
):
    """Stream the customers' ``fields`` as CSV into an AES-256 zip; return the row count.

    Headers are the fields' labels in ``language`` ("ja" or "en"); the first column
    numbers the customers within the file, never their internal ids.

    The rows come from the reading path (``customers.reading.export_rows``): every
    customer, or ``customer_ids`` only. With ``purchases`` (a Purchase queryset, already
    narrowed to what the request allows) a second member, ``purchases.csv``, holds those
    customers' purchases. The id of every customer written is appended to ``carried`` (a
    list) for the download's ledger entry. ``encoding`` is strict: a value it cannot
    hold raises UnicodeEncodeError rather than leave garbled. ``using`` names another
    database alias (the export benchmark's throwaway database).
    """
    carried = [] if carried is None else carried
    zipped = pyzipper.AESZipFile(
        fileobj, "w", compression=pyzipper.ZIP_DEFLATED, compresslevel=DEFLATE_LEVEL
    )
    with zipped as archive:
        archive.setpassword(password.encode())
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        customer_header, purchase_header = headers(fields, language)
        rows = reading.export_rows(fields, carried=carried, using=using, customer_ids=customer_ids)
        _write_member(archive, "customers.csv", encoding, customer_header, _numbered(rows, fields))
        if purchases is not None:
            numbers = {str(pk): n for n, pk in enumerate(carried, start=1)}
            rows = reading.export_purchase_rows(carried, purchases, using=using)
            _write_member(
                archive, "purchases.csv", encoding, purchase_header, _by_number(rows, numbers)
            )
    return len(carried)


def _numbered(rows, fields):
    """(row number, values) for each customer's (id, values), each value in its form."""
    forms = [(i, CELL_FORMS[f]) for i, f in enumerate(fields) if f in CELL_FORMS]
    with closing(rows):
        for number, (_pk, values) in enumerate(rows, start=1):
            for i, form in forms:
                values[i] = form(values[i])
            yield number, values


def _by_number(rows, numbers):
    with closing(rows):
        for customer_id, *values in rows:
            yield numbers[str(customer_id)], values


def _write_member(archive, name, encoding, header, rows):
    """One CSV member of the archive, written row by row (nothing held in memory)."""
    with archive.open(name, "w", force_zip64=True) as member:
        text = io.TextIOWrapper(member, encoding=encoding, errors="strict", newline="")
        writer = csv.writer(text)
        writer.writerow(header)
        with closing(rows):
            for pk, values in rows:
                writer.writerow([pk, *safe_text_cells(values)])
        text.flush()
        text.detach()


def sha256_of(fileobj):
    """The SHA-256 of the written archive, as hex (the take-out record keeps it)."""
    digest = hashlib.sha256()
    fileobj.seek(0)
    for block in iter(lambda: fileobj.read(1 << 20), b""):
        digest.update(block)
    fileobj.seek(0)
    return digest.hexdigest()
