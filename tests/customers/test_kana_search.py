"""The reading (フリガナ) is searchable exactly through its own blind index (issue #24):
hiragana, katakana and half-width kana find the same customer; still no partial search.

On main before this change a reading could not be searched at all (a kana term went to
the name index and found nobody)."""

import pytest

from customers.models import Customer
from customers.rotation import rebuild_blind_indexes
from customers.services import search_kind
from tests.customers.vault import SEARCH, entries, make_customer
from tests.signing import signed_in
from vault.blind_index import blind_index

pytestmark = pytest.mark.usefixtures("test_reads")


@pytest.fixture
def taro(db):
    return make_customer(name="山田 太郎", name_kana="ヤマダ タロウ", email="taro@example.com")


def found(client, term):
    response = client.post(SEARCH, {"q": term})
    page = client.get(response["Location"])
    return {str(c.pk) for c in page.context["cl"].result_list}


@pytest.mark.parametrize("term", ["やまだ たろう", "ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダタロウ"])
def test_every_way_of_writing_the_reading_finds_the_customer(client, people, taro, term):
    signed_in(client, people.carol)

    assert found(client, term) == {str(taro.pk)}

    entry = entries("customer.list").get()
    assert entry.detail["search"] == "name_kana" and entry.customer_ids == [str(taro.pk)]


def test_part_of_a_reading_finds_nobody(client, people, taro):
    signed_in(client, people.carol)

    assert found(client, "やまだ") == set()


def test_the_reading_has_its_own_index_not_its_plaintext(taro):
    assert taro.name_kana_index == blind_index("name_kana", "やまだたろう")
    assert "ヤマダ" not in taro.name_kana_index


def test_a_kana_term_is_a_reading_and_kanji_a_name():
    assert search_kind("やまだ たろう") == "name_kana"
    assert search_kind("山田 太郎") == "name"


def test_rotate_keys_indexes_the_readings_stored_before_the_index_existed(taro):
    Customer.objects.filter(pk=taro.pk).update(name_kana_index="")  # as after the upgrade

    rebuild_blind_indexes(Customer)

    assert Customer.objects.get(pk=taro.pk).name_kana_index == taro.name_kana_index != ""
