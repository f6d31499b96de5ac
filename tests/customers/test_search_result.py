"""A search says what was searched (the kind, never the term) and, when nothing matched,
why a partial search cannot work on encrypted values."""

import pytest

from tests.customers.vault import CHANGELIST, SEARCH
from tests.signing import signed_in

pytestmark = pytest.mark.usefixtures("test_reads")


def search(client, term):
    response = client.post(SEARCH, {"q": term}, follow=True)
    assert response.status_code == 200
    return response


def test_a_match_names_the_kind_searched_and_never_the_term(client, people, hanako):
    signed_in(client, people.carol)
    response = search(client, "hanako.yamada@example.com")
    page = response.content.decode()
    assert "メールアドレスで、入力された検索語と完全に一致する顧客を探しました: 1 件" in page
    assert "hanako.yamada" not in page and 'id="search-no-match"' not in page
    assert "hanako" not in response.redirect_chain[-1][0]


@pytest.mark.parametrize(
    ("term", "kind"), [("090-9999-0000", "電話番号"), ("山田", "氏名（フルネーム）")]
)
def test_no_match_explains_why_partial_search_is_impossible(client, people, hanako, term, kind):
    signed_in(client, people.carol)
    page = search(client, term).content.decode()
    assert f"{kind}で、入力された検索語と完全に一致する顧客を探しました: 0 件" in page
    assert 'id="search-no-match"' in page and "暗号化して保存しているため" in page
    assert term not in page.split('id="searchbar"')[1]


def test_an_expired_search_token_says_so(client, people, hanako):
    page = signed_in(client, people.carol).get(f"{CHANGELIST}?s=unknown").content.decode()
    assert "有効期限が切れました" in page


def test_english_pages_explain_it_in_english(client, people, hanako):
    signed_in(client, people.carol)
    page = client.post(SEARCH, {"q": "nobody@example.com"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "impossible" in page.content.decode()
    assert "the term you typed" in page.content.decode()
