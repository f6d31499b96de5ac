"""No plaintext personal data at rest after the admin has created, edited and deleted
customers (DESIGN invariant 1): the whole database is searched for marker values."""

import datetime
import re

import pytest
from django.db import connection

from customers.models import Category, Customer, Purchase
from tests.customers.vault import CHANGELIST, HANAKO, PURCHASES, change_url
from tests.signing import reauthenticate, signed_in

# The tests check stored values themselves; requests still start outside any scope.
pytestmark = pytest.mark.usefixtures("test_reads")

MARKERS = {
    "name": "ZZ名前マーカー ZZ花子",
    "name_kana": "ゼットゼットマーカー",
    "postal_code": "987-6543",
    "address": "東京都新宿区ZZ住所マーカー9-9-9",
    "phone": "070-8765-4321",
    "email": "zz.marker.person@example.org",
    "card_token": "tok_ZZMARKERTOKEN",
    "card_brand": "ZZBRAND",
    "card_last4": "9876",
    "card_exp": "11/29",
}
PRODUCT = "ZZ商品マーカー育毛"
EDITED_ADDRESS = "大阪府大阪市北区ZZ編集後マーカー1-1"


def needles():
    values = [*MARKERS.values(), PRODUCT, EDITED_ADDRESS, "ZZ名前マーカー", "zz.marker.person"]
    values += ["87654321", "8765-4321", "ZZMARKERTOKEN"]
    return {value: value.encode("utf-8") for value in values}


def as_text(value):
    """A column value as text; binary values (the encrypted columns) decoded as UTF-8, so
    plaintext written to a binary column is found too (repr() would escape it).

    Timestamps are left out: they hold no personal data, and their microseconds would
    now and then contain a digits-only marker such as a card's last four.
    """
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return ""
    return repr(value)


def database_text():
    """Every table's every value as text (works on SQLite and PostgreSQL)."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks += [" ".join(map(as_text, row)) for row in cursor.fetchall()]
    return "\n".join(chunks)


def database_file_bytes():
    """The SQLite database's raw pages (free pages included), or b'' on PostgreSQL."""
    if connection.vendor != "sqlite":
        return b""
    connection.ensure_connection()
    return connection.connection.serialize()


HEX_RUN = set(b"0123456789abcdefABCDEF-")


# A stored time ("2026-12-06 21:54:26.398760") holds "9876" by chance in its digits.
TIMESTAMP = re.compile(rb"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?")


def in_timestamp(data, start, end):
    window = data[max(0, start - 26) : end + 26]
    offset = max(0, start - 26)
    return any(
        m.start() + offset <= start and end <= m.end() + offset for m in TIMESTAMP.finditer(window)
    )


def found_standalone(data, needle):
    """True when a short digits-only marker (a card's last four) is in ``data`` on its own:
    not inside a stored time and not inside a long hex or uuid run (chain values, hashes
    and ids are 32+ hex characters), where "9876" turns up by chance; a stored plaintext
    value sits in neither."""
    start = data.find(needle)
    while start != -1:
        left, right = start, start + len(needle)
        if in_timestamp(data, left, right):
            start = data.find(needle, start + 1)
            continue
        while left > 0 and data[left - 1] in HEX_RUN:
            left -= 1
        while right < len(data) and data[right] in HEX_RUN:
            right += 1
        if right - left < 16:
            return True
        start = data.find(needle, start + 1)
    return False


def assert_no_marker_at_rest():
    text, raw = database_text(), database_file_bytes()
    for value, encoded in needles().items():
        if value.isdigit() and len(value) <= 6:
            assert not found_standalone(text.encode(), encoded), f"plaintext {value!r} in a table"
            assert not found_standalone(raw, encoded), f"plaintext {value!r} in the database file"
            continue
        assert value not in text, f"plaintext {value!r} found in a table"
        assert encoded not in raw, f"plaintext {value!r} found in the database file"


def test_no_plaintext_at_rest_after_admin_create_edit_and_delete(client, people):
    signed_in(client, people.alice)
    response = client.post(f"{CHANGELIST}add/", {**HANAKO, **MARKERS})
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert customer.name == MARKERS["name"]

    response = client.post(
        f"{PURCHASES}add/",
        {
            "customer": str(customer.pk),
            "category": Category.objects.get(code="hair-growth").pk,
            "product_name": PRODUCT,
            "amount": "4800",
            "purchased_on": "2026-11-01",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    client.get(CHANGELIST)
    client.get(change_url(customer))
    client.post(f"{CHANGELIST}search/", {"q": MARKERS["email"]})
    edit = {**dict.fromkeys(HANAKO, ""), "address": EDITED_ADDRESS}
    assert client.post(change_url(customer), edit).status_code == 302
    assert Customer.objects.get().address == EDITED_ADDRESS
    client.post(f"{CHANGELIST}{customer.pk}/reveal/email/", {"reason_code": "inquiry"})
    assert_no_marker_at_rest()

    reauthenticate(client)
    response = client.post(f"{CHANGELIST}{customer.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Customer.objects.exists() and not Purchase.objects.exists()
    assert_no_marker_at_rest()


def test_the_search_finds_markers_it_is_meant_to_find(db):
    # Guard against a test that can never fail: the probe sees plaintext when it is there.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO customers_category (code, name_ja, name_en, sensitive) "
            "VALUES (%s, %s, %s, %s)",
            ["probe", MARKERS["name"], "probe", False],
        )
    assert MARKERS["name"] in database_text()
    if connection.vendor == "sqlite":
        assert MARKERS["name"].encode() in database_file_bytes()


def test_the_search_finds_plaintext_written_to_an_encrypted_column(db):
    # The encrypted columns are binary: plaintext bytes in them must be found as well.
    customer = Customer.objects.create(name="見本")
    Customer.objects.filter(pk=customer.pk).update(sealed=MARKERS["address"].encode())
    assert MARKERS["address"] in database_text()


def test_the_search_finds_a_plaintext_last_four(db):
    # The short digits-only marker is searched as a standalone value: still found when
    # stored in plaintext, in the tables and in the file.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO customers_category (code, name_ja, name_en, sensitive) "
            "VALUES (%s, %s, %s, %s)",
            ["probe4", MARKERS["card_last4"], "probe", False],
        )
    needle = MARKERS["card_last4"].encode()
    assert found_standalone(database_text().encode(), needle)
    if connection.vendor == "sqlite":
        assert found_standalone(database_file_bytes(), needle)
    assert not found_standalone(b"chain 0a1b2c3d4e5f9876a0b1c2d3e4f5 and more", needle)
    assert not found_standalone(b"id 3f2a1b4c-9876-4abc-8def-0123456789ab", needle)
    assert not found_standalone(b"applied 2026-12-06 21:54:26.398760 by", needle)
