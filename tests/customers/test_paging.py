"""The customer list pages by keyset: newer / older links, no COUNT(*), no OFFSET."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Customer
from customers.paging import CURSOR_VAR
from tests.customers.vault import CHANGELIST, HANAKO, entries
from tests.signing import signed_in

PAGE = 50


@pytest.fixture
def customers(db):
    """120 customers, a second apart, and three more sharing one creation time."""
    start = timezone.now() - datetime.timedelta(days=1)
    made = [Customer(**{**HANAKO, "email": f"c{i}@example.com"}) for i in range(123)]
    for number, customer in enumerate(made):
        customer.refresh_blind_indexes()
    Customer.objects.bulk_create(made)
    for number, customer in enumerate(made):
        when = start + datetime.timedelta(seconds=min(number, 119))
        Customer.objects.filter(pk=customer.pk).update(created_at=when)
    return list(Customer.objects.order_by("-created_at", "-id").values_list("pk", flat=True))


def shown(page):
    return [obj.pk for obj in page.context["cl"].result_list]


def test_older_and_newer_walk_every_customer_once_in_order(client, people, customers):
    signed_in(client, people.carol)
    page = client.get(CHANGELIST)
    seen = []
    while True:
        assert page.status_code == 200
        seen.extend(shown(page))
        older = page.context["cl"].older_url
        if older is None:
            break
        page = client.get(CHANGELIST + older)
    assert seen == customers  # the tied creation times included, none twice
    # And back up again, page by page, to the first page.
    back = []
    while page.context["cl"].newer_url:
        page = client.get(CHANGELIST + page.context["cl"].newer_url)
        back = shown(page) + back
    assert back == customers[: PAGE * 2]
    assert page.context["cl"].newer_url is None and shown(page) == customers[:PAGE]


def test_the_page_says_how_many_it_shows_and_links_without_page_numbers(client, people, customers):
    signed_in(client, people.carol)
    body = client.get(CHANGELIST).content.decode()
    assert "50 件表示" in body and "古い顧客" in body and "新しい顧客" not in body
    assert "?p=" not in body and 'id="changelist-search"' in body


def test_a_list_page_neither_counts_nor_skips_rows(client, people, customers):
    signed_in(client, people.carol)
    first = client.get(CHANGELIST)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(CHANGELIST + first.context["cl"].older_url)
    assert page.status_code == 200
    listing = [
        q["sql"].upper()
        for q in queries.captured_queries
        if "CUSTOMERS_CUSTOMER" in q["sql"].upper()
    ]
    assert listing
    assert not [sql for sql in listing if "COUNT(*)" in sql or "OFFSET" in sql]


def test_the_cursor_holds_no_personal_data_and_each_page_is_recorded(client, people, customers):
    signed_in(client, people.carol)
    older = client.get(CHANGELIST).context["cl"].older_url
    token = older.split(f"{CURSOR_VAR}=")[1]
    # A direction, a time in microseconds and a row id, nothing else (the id's random hex
    # may contain any four digits, so the values are looked for in the rest).
    moment, _, row = token.partition(".")
    assert re.fullmatch(r"[on]\d+", moment) and row in {pk.hex for pk in customers}
    for value in HANAKO.values():
        assert value not in moment
    client.get(CHANGELIST + older)
    pages = entries("customer.list")
    assert [len(e.customer_ids) for e in pages] == [PAGE, PAGE]
    assert pages[1].customer_ids == [str(pk) for pk in customers[PAGE : PAGE * 2]]


@pytest.mark.parametrize("token", ["x", "o", "o12.nothex", "n999999999999999999999.00", ""])
def test_a_damaged_cursor_shows_the_first_page(client, people, customers, token):
    signed_in(client, people.carol)
    page = client.get(CHANGELIST, {CURSOR_VAR: token})
    assert page.status_code == 200
    assert shown(page) == customers[:PAGE]


def test_the_pager_speaks_english_too(client, people, customers):
    signed_in(client, people.carol)
    body = client.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Showing 50 customers" in body and "Older customers" in body
