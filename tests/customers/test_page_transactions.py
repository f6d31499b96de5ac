"""A page that only looks is built and rendered in no transaction: its ledger entry
commits first, on its own. On SQLite a transaction takes the database's one write lock
when it begins (settings: ``transaction_mode``), so a page inside one made every other
request wait for the whole page (issue #26: the customer list under 8 clients). A request
that changes something keeps one transaction for its reads, entries and writes."""

import sqlite3
from contextlib import contextmanager

import pytest
from django.db import connection
from django.template.response import TemplateResponse

from audit.actions import Action
from customers import reading
from tests.customers.vault import CHANGELIST, entries, make_customer, view_url

pytestmark = pytest.mark.django_db(transaction=True)


def spy_on_reads(monkeypatch, also=None):
    """What was true each time a page's read scope opened: in a transaction or not."""
    seen, real = [], reading.recorded_read

    @contextmanager
    def spied(*args, **kwargs):
        with real(*args, **kwargs) as scope:
            seen.append(connection.in_atomic_block)
            if also:
                also()
            yield scope

    monkeypatch.setattr(reading, "recorded_read", spied)
    return seen


@pytest.mark.parametrize("page", ["list", "customer"])
def test_a_page_that_only_looks_holds_no_transaction(client, people, monkeypatch, page):
    customer = make_customer()
    seen = spy_on_reads(monkeypatch)
    client.force_login(people.alice)
    response = client.get(CHANGELIST if page == "list" else view_url(customer))
    assert response.status_code == 200
    assert seen == [False]
    action = Action.CUSTOMER_LIST if page == "list" else Action.CUSTOMER_VIEW
    assert entries(action).count() == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's one write lock")
def test_another_request_may_write_while_the_list_is_built(client, people, monkeypatch):
    """Inside the list's read scope, another connection takes the write lock at once."""
    make_customer()
    wrote = []

    def write_beside():
        other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0.2)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            wrote.append(True)
        finally:
            other.close()

    spy_on_reads(monkeypatch, also=write_beside)
    client.force_login(people.alice)
    assert client.get(CHANGELIST).status_code == 200
    assert wrote == [True]


def test_a_page_that_fails_to_render_keeps_its_entry(client, people, monkeypatch):
    """The entry commits before any value is read: the ledger may say more was seen
    than was, never less."""
    make_customer()

    def broken(self):
        raise RuntimeError("the template broke")

    monkeypatch.setattr(TemplateResponse, "render", broken)
    client.force_login(people.alice)
    client.raise_request_exception = False
    assert client.get(CHANGELIST).status_code == 500
    assert entries(Action.CUSTOMER_LIST).count() == 1
