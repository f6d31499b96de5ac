"""Masked by default: the masks themselves, and what each role sees."""

import pytest

from customers import masking
from customers.fields import masked_fields
from customers.models import PERSONAL_FIELDS
from tests.customers.vault import CHANGELIST, change_url, make_customer, make_purchase, view_url
from tests.signing import signed_in


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("山田 花子", "山田 **"),
        ("山田　花子", "山田 **"),
        ("山田花子", "山 **"),
        ("Hanako Yamada", "Hanako **"),
        ("", ""),
    ],
)
def test_it_masks_names_to_the_family_name(value, masked):
    assert masking.mask_name(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("yamada@example.com", "y***@example.com"),
        ("Y.Hanako+shop@example.co.jp", "Y***@example.co.jp"),
        ("broken", "***"),
        ("", ""),
    ],
)
def test_it_masks_email_addresses(value, masked):
    assert masking.mask_email(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("090-1234-5678", "***-****-5678"),
        ("０９０１２３４５６７８", "***-****-5678"),
        ("+81 3-1111-2222", "***-****-2222"),
        ("", ""),
    ],
)
def test_it_masks_phones_to_the_last_four_digits(value, masked):
    assert masking.mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("東京都新宿区西新宿2-8-1", "東京都新宿区 ***"),
        ("神奈川県横浜市中区日本大通1", "神奈川県横浜市 ***"),
        ("北海道札幌市中央区北1条西2丁目", "北海道札幌市 ***"),
        ("大阪府大阪市北区梅田1-1", "大阪府大阪市 ***"),
        ("東京都西多摩郡奥多摩町氷川215", "東京都西多摩郡奥多摩町 ***"),
        ("123 Main Street, Springfield", "***"),
        ("", ""),
    ],
)
def test_it_reduces_addresses_to_prefecture_and_city(value, masked):
    assert masking.mask_address(value) == masked


def test_it_masks_the_rest():
    assert masking.mask_postal_code("160-0023") == "1**-****"
    assert masking.mask_kana("ヤマダ ハナコ") == "ヤ***"
    assert masking.mask_card("VISA", "4242") == "VISA •••• 4242"
    assert masking.mask_token("tok_1a2b3c4d") == "tok_***"
    assert masking.mask_token("abcdef") == "***"
    assert masking.mask_hidden("female") == "***"
    assert masking.mask_product_name("育毛剤") == "***"


def test_every_personal_field_has_a_mask(db):
    customer = make_customer()
    fields = masked_fields(customer)
    assert [name for name, _, _ in fields] == list(PERSONAL_FIELDS)
    shown = " ".join(str(masked) for _, _, masked in fields)
    for secret in ("花子", "hanako.yamada", "1234", "西新宿", "0023", "1a2b3c", "12/28", "female"):
        assert secret not in shown


@pytest.mark.parametrize("person", ["alice", "bob", "carol"])
def test_every_role_sees_masks_on_the_list_and_detail_pages(client, people, person):
    customer = make_customer()
    signed_in(client, getattr(people, person))
    for url in (CHANGELIST, view_url(customer), change_url(customer)):
        page = client.get(url).content.decode()
        assert "山田 **" in page and "***-****-5678" in page
        for secret in ("花子", "ハナコ", "hanako.yamada", "090-1234", "西新宿", "160-0023"):
            assert secret not in page


@pytest.mark.parametrize(
    ("person", "sees_rows"), [("alice", True), ("bob", True), ("carol", False)]
)
def test_sensitive_purchases_by_role(client, people, person, sees_rows):
    customer = make_customer()
    sensitive = make_purchase(customer, category="diet", product="ダイエットサプリX")
    page = signed_in(client, getattr(people, person)).get(view_url(customer)).content.decode()
    assert "ダイエットサプリX" not in page
    assert (f"/admin/customers/purchase/{sensitive.pk}/" in page) is sees_rows
    assert ("要配慮カテゴリの購入が 1 件" in page) is not sees_rows
