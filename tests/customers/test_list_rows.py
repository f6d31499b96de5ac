"""The customer list's rows are written from values prepared once per row
(CustomerChangeList.prepared_rows), not through the admin's per-cell machinery (issue #26):
the page must be the very HTML Django's change list writes, for every role and language,
on the first page and the next, with blank values and characters that need escaping."""

import datetime
import re

import pytest
from django.utils import timezone

from customers.admin import CustomerChangeList
from customers.models import Customer
from tests.customers.vault import CHANGELIST, HANAKO

pytestmark = pytest.mark.django_db

ODD = [
    {"name": '<b>O\'Brien & "Co"</b> 太郎', "email": "a<b>&'\"@example.com"},
    {"name": "山田花子", "address": "", "phone": ""},  # no space; blank area and phone
    {"address": "Somewhere <script>alert(1)</script>", "email": "no-at-sign"},
]


@pytest.fixture
def customers(db):
    """55 customers a second apart (two pages), three of them with odd values."""
    start = timezone.now() - datetime.timedelta(days=1)
    made = []
    for number in range(55):
        values = {**HANAKO, "email": f"c{number}@example.com", "phone": f"090-0000-{number:04d}"}
        values.update(ODD[number % 20] if number % 20 < len(ODD) else {})
        customer = Customer(**values)
        customer.refresh_blind_indexes()
        made.append(customer)
    Customer.objects.bulk_create(made)
    for number, customer in enumerate(made):
        when = start + datetime.timedelta(seconds=number, microseconds=123)
        Customer.objects.filter(pk=customer.pk).update(created_at=when)
    return made


def results(page):
    """The list's table (whitespace between tags aside)."""
    html = page.content.decode()
    start = html.index('<div class="results">')
    table = html[start : html.index("</table>", start)]
    return re.sub(r">\s+<", "><", table).strip()


def spy_on_prepared_rows(monkeypatch):
    """A list that receives what each page's prepared_rows() returned."""
    returned, real = [], CustomerChangeList.prepared_rows

    def spied(self):
        returned.append(real(self))
        return returned[-1]

    monkeypatch.setattr(CustomerChangeList, "prepared_rows", spied)
    return returned


def djangos_own(client, path, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr(CustomerChangeList, "prepared_rows", lambda self: None)
        return client.get(path)


@pytest.mark.parametrize("who", ["alice", "bob", "carol"])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_rows_are_the_html_djangos_change_list_writes(
    client, people, customers, monkeypatch, who, language
):
    prepared = spy_on_prepared_rows(monkeypatch)
    client.force_login(getattr(people, who))
    client.cookies["django_language"] = language
    first = client.get(CHANGELIST)
    assert first.status_code == 200 and len(prepared.pop()) == 50
    older = re.search(r'href="(\?c=o[^"]+)"', first.content.decode()).group(1)
    second = client.get(CHANGELIST + older.replace("&amp;", "&"))
    assert len(second.context["cl"].result_list) == 5 and len(prepared.pop()) == 5
    for path, page in ((CHANGELIST, first), (CHANGELIST + older.replace("&amp;", "&"), second)):
        theirs = djangos_own(client, path, monkeypatch)
        assert results(page) == results(theirs)
    page = first.content.decode()
    # What the comparison covers: escaping, the blank mark, the row links with the
    # list's place kept, the selection boxes of the list actions.
    assert "&lt;b&gt;O&#x27;Brien &amp; &quot;Co&quot;&lt;/b&gt; 太郎" not in page  # masked
    assert "&lt;b&gt;O&#x27;Brien" in page and "<b>O'Brien" not in page
    assert '<td class="field-masked_area">-</td>' in page
    assert results(second).count("?_changelist_filters=c%3Do") == 5
    assert page.count('class="action-select"') == 50


def test_a_popup_list_keeps_djangos_own_rows(client, people, customers, monkeypatch):
    # The purchase form's customer picker opens the list as a popup: its rows carry the
    # picker's data-popup-opener, which only the admin's own rendering writes.
    prepared = spy_on_prepared_rows(monkeypatch)
    client.force_login(people.alice)
    page = client.get(CHANGELIST + "?_to_field=id&_popup=1")
    assert page.status_code == 200 and prepared == [None]
    assert page.content.decode().count("data-popup-opener=") == 50
