"""Exact search through the blind index: POST in, token URL out, false matches dropped."""

from dataclasses import replace
from urllib.parse import urlparse

import pytest
from django.contrib.sessions.models import Session

from customers.models import Customer
from customers.services import search_kind
from tests.customers.vault import CHANGELIST, SEARCH, entries, make_customer
from tests.signing import signed_in
from vault import encryption


@pytest.fixture
def jiro(db):
    return make_customer(name="佐藤 次郎", email="jiro@example.com", phone="03-1111-2222")


def search(client, term):
    """POST the term, follow the redirect; return (the redirect location, the result page)."""
    response = client.post(SEARCH, {"q": term})
    assert response.status_code == 302
    location = response["Location"]
    return location, client.get(location)


def shown_ids(page):
    return {str(obj.pk) for obj in page.context["cl"].result_list}


@pytest.mark.parametrize(
    ("term", "kind"),
    [
        ("Hanako.Yamada@EXAMPLE.com ", "email"),
        ("09012345678", "phone"),
        ("+81 90-1234-5678", "phone"),
        ("０９０－１２３４－５６７８", "phone"),
        ("山田花子", "name"),
        ("山田　花子", "name"),
    ],
)
def test_it_finds_a_customer_by_exact_value(client, people, hanako, jiro, term, kind):
    signed_in(client, people.carol)
    location, page = search(client, term)
    assert page.status_code == 200
    assert shown_ids(page) == {str(hanako.pk)}
    entry = entries("customer.list").get()
    assert entry.customer_ids == [str(hanako.pk)]
    assert entry.detail["search"] == kind


def test_the_term_never_reaches_the_url_the_page_the_session_or_the_ledger(client, people, hanako):
    signed_in(client, people.carol)
    term = "hanako.yamada@example.com"
    location, page = search(client, term)
    parsed = urlparse(location)
    assert parsed.path == CHANGELIST
    assert parsed.query.startswith("s=") and "&" not in parsed.query
    assert "hanako" not in location and "example" not in location and "%40" not in location
    body = page.content.decode()
    assert term not in body and "hanako.yamada" not in body
    for session in Session.objects.all():
        assert "hanako" not in str(session.get_decoded())
    assert "hanako" not in str(entries("customer.list").get().detail)


def test_partial_terms_find_nothing(client, people, hanako):
    signed_in(client, people.carol)
    for term in ("山田", "hanako", "5678"):
        _, page = search(client, term)
        assert shown_ids(page) == set()


def test_it_drops_a_false_match_sharing_the_blind_index(client, people, hanako, jiro):
    # Force a collision: jiro's stored e-mail index now equals hanako's.
    Customer.objects.filter(pk=jiro.pk).update(email_index=hanako.email_index)
    assert Customer.objects.filter(email_index=hanako.email_index).count() == 2
    signed_in(client, people.carol)
    _, page = search(client, "hanako.yamada@example.com")
    assert shown_ids(page) == {str(hanako.pk)}
    assert page.context["cl"].result_count == 1
    assert entries("customer.list").get().customer_ids == [str(hanako.pk)]


def test_it_decrypts_only_the_candidates_not_every_row(client, people, hanako, monkeypatch):
    for number in range(40):
        make_customer(email=f"someone{number}@example.com", phone=f"090-0000-{number:04d}")
    signed_in(client, people.carol)
    calls = []

    class CountingCipher:
        """Counts every AES-GCM decryption, whichever code path makes it."""

        def __init__(self, cipher):
            self.cipher = cipher

        def decrypt(self, *args):
            calls.append(1)
            return self.cipher.decrypt(*args)

    ring = encryption._keyring()
    counting = {h: CountingCipher(cipher) for h, cipher in ring.ciphers.items()}
    monkeypatch.setitem(encryption._keyring_cache, "ring", replace(ring, ciphers=counting))
    _, page = search(client, "hanako.yamada@example.com")
    assert shown_ids(page) == {str(hanako.pk)}
    # One candidate checked, then one row's masked columns: nowhere near 41 rows.
    assert 1 <= len(calls) <= 6


def test_the_page_explains_why_partial_search_is_impossible(client, people, hanako):
    page = signed_in(client, people.carol).get(CHANGELIST).content.decode()
    assert 'id="changelist-search" method="post"' in page
    assert "部分一致検索はできません" in page
    assert "Partial search is impossible on encrypted data" in page


def test_an_unknown_token_finds_nothing(client, people, hanako):
    page = signed_in(client, people.carol).get(f"{CHANGELIST}?s=not-a-real-token")
    assert page.status_code == 200
    assert shown_ids(page) == set()


def test_another_persons_token_finds_nothing(client, people, hanako):
    signed_in(client, people.carol)
    location, _ = search(client, "hanako.yamada@example.com")
    page = signed_in(client, people.bob).get(location)
    assert shown_ids(page) == set()


def test_the_search_needs_a_post(client, people, hanako):
    response = signed_in(client, people.carol).get(f"{SEARCH}?q=hanako.yamada@example.com")
    assert response.status_code == 405


def test_anonymous_people_cannot_search(client, hanako):
    response = client.post(SEARCH, {"q": "hanako.yamada@example.com"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert "hanako" not in response["Location"]


@pytest.mark.parametrize("person", ["dave", "erin"])
def test_the_auditor_and_outsiders_cannot_search(client, people, hanako, person):
    response = signed_in(client, getattr(people, person)).post(SEARCH, {"q": "山田花子"})
    assert response.status_code == 403
    assert not entries("customer.list").exists()


@pytest.mark.parametrize(
    ("term", "kind"),
    [("a@b.jp", "email"), ("03-1234-5678", "phone"), ("山田 花子", "name"), ("Jo 1", "name")],
)
def test_it_tells_the_kind_of_a_term(term, kind):
    assert search_kind(term) == kind


def test_the_blind_index_lookup_does_not_sort_its_candidates(people, hanako, jiro):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from customers.reading import matching_customers
    from vault.blind_index import full_digest

    digest = full_digest("email", "hanako.yamada@example.com")
    with CaptureQueriesContext(connection) as queries:
        found = matching_customers(Customer.objects.all(), "email", digest)
    lookups = [q["sql"] for q in queries.captured_queries if "email_index" in q["sql"]]
    assert len(lookups) == 1
    assert "ORDER BY" not in lookups[0].upper()
    assert list(found.values_list("pk", flat=True)) == [hanako.pk]
