"""Only the customers needed (issue #14): scopes, purchases, encoding, and what the
approver sees; the archive holds exactly the chosen customers and fields."""

import csv
import io
from datetime import date

import pytest

from customers.models import Category, Customer, Purchase
from exports import services
from tests.exports.helpers import (
    archive_members,
    decide,
    download,
    latest,
    new_request,
)
from tests.signing import signed_in

pytestmark = pytest.mark.django_db
ROWS = [
    ("山田 花子", "hanako@example.com"),
    ("佐藤 太郎", "taro@example.com"),
    ("鈴木 一郎", "ichiro@example.com"),
]


@pytest.fixture
def shop(db):
    customers = [Customer.objects.create(name=n, email=e) for n, e in ROWS]
    food, medicine = Category.objects.get(code="food"), Category.objects.get(code="medicine")
    hanako, taro, _ichiro = customers
    Purchase.objects.create(
        customer=hanako,
        product_name="お米",
        category=food,
        amount=3000,
        purchased_on=date(2026, 11, 25),
    )
    Purchase.objects.create(
        customer=hanako,
        product_name="胃薬",
        category=medicine,
        amount=1200,
        purchased_on=date(2026, 11, 26),
    )
    Purchase.objects.create(
        customer=taro,
        product_name="洗剤",
        category=Category.objects.get(code="daily"),
        amount=500,
        purchased_on=date(2026, 10, 1),
    )
    return customers


def approved_download(client, people, **changes):
    """bob asks (through the form), alice approves, bob downloads: the archive's members."""
    response = new_request(signed_in(client, people.bob, reauthenticated=True), **changes)
    assert response.status_code == 302, response.content.decode()[:2000]
    export = latest()
    owner = signed_in(client.__class__(), people.alice, reauthenticated=True)
    assert decide(owner, export).status_code == 302
    response, password = download(client, export)
    assert response.status_code == 200
    members = archive_members(b"".join(response.streaming_content), password)
    export.refresh_from_db()
    return export, members


def rows_of(text):
    return list(csv.reader(io.StringIO(text)))


def test_an_export_of_all_holds_every_customer_and_only_the_chosen_fields(client, people, shop):
    export, members = approved_download(client, people, fields=["email"])
    rows = rows_of(members["customers.csv"])
    assert rows[0] == ["番号", "メールアドレス"]
    assert sorted(r[1] for r in rows[1:]) == sorted(e for _n, e in ROWS)
    assert "山田" not in members["customers.csv"] and "purchases.csv" not in members
    assert export.customer_count == 3 and export.row_count == 3


def test_the_customer_list_action_selects_exactly_the_ticked_customers(client, people, shop):
    hanako, taro, _ichiro = shop
    signed_in(client, people.bob, reauthenticated=True)
    response = client.post(
        "/admin/customers/customer/",
        {"action": "export_selected", "_selected_action": [hanako.pk, taro.pk]},
    )
    assert response.status_code == 302 and response.url == "/admin/exports/new/"
    assert "hanako" not in response.url
    export, members = approved_download(client, people, scope="selected")
    assert export.customer_count == 2
    emails = {r[2] for r in rows_of(members["customers.csv"])[1:]}
    assert emails == {"hanako@example.com", "taro@example.com"}


def test_the_list_action_is_offered_to_those_who_may_request_only(client, people, shop):
    for who, offered in (("bob", True), ("carol", False)):
        client.force_login(getattr(people, who))
        page = client.get("/admin/customers/customer/").content.decode()
        assert ('value="export_selected"' in page) is offered


def test_the_result_of_an_exact_search_is_exported_by_its_token(client, people, shop):
    signed_in(client, people.bob, reauthenticated=True)
    found = client.post("/admin/customers/customer/search/", {"q": "taro@example.com"})
    token = found.url.split("s=")[1]
    page = client.get(f"/admin/exports/new/?s={token}")
    assert 'value="search"' in page.content.decode()
    data = {
        "purpose": "問い合わせへの回答",
        "recipient": "internal",
        "fields": ["name"],
        "scope": "search",
        "encoding": "utf-8-sig",
    }
    assert client.post(f"/admin/exports/new/?s={token}", data).status_code == 302
    export = latest()
    assert export.customer_ids == [str(shop[1].pk)] and export.customer_count == 1


def test_purchases_in_a_period_select_their_customers_and_leave_sensitive_ones_out(
    client, people, shop
):
    hanako = shop[0]
    export, members = approved_download(
        client,
        people,
        scope="purchases",
        purchases_from="2026-11-20",
        purchases_to="2026-11-30",
        include_purchases="on",
    )
    assert export.customer_ids == [str(hanako.pk)]
    purchases = rows_of(members["purchases.csv"])
    assert purchases[0] == ["番号", "購入日", "カテゴリ", "金額", "商品名"]
    # The number is the customer's row in customers.csv, never an internal id.
    assert purchases[1:] == [["1", "2026-11-25", "food", "3000", "お米"]]
    assert rows_of(members["customers.csv"])[1][0] == "1"
    assert "胃薬" not in members["purchases.csv"]


def test_sensitive_purchases_need_the_tick_and_warn_the_approver(client, people, shop):
    response = new_request(
        signed_in(client, people.bob, reauthenticated=True),
        scope="purchases",
        categories=["medicine"],
        include_purchases="on",
    )
    assert response.status_code == 400 and "要配慮" in response.content.decode()
    response = new_request(
        client,
        scope="purchases",
        categories=["medicine"],
        include_purchases="on",
        include_sensitive="on",
    )
    assert response.status_code == 302
    export = latest()
    owner = signed_in(client.__class__(), people.alice, reauthenticated=True)
    page = owner.get(f"/admin/exports/{export.pk}/").content.decode()
    assert 'id="export-sensitive-warning"' in page
    assert "1 人" in page and "氏名、メールアドレス" in page
    decide(owner, export)
    response, password = download(client, export)
    members = archive_members(b"".join(response.streaming_content), password)
    assert "胃薬" in members["purchases.csv"] and "お米" not in members["purchases.csv"]


def test_the_approver_sees_count_fields_in_japanese_and_no_warning_without_purchases(
    client, people, shop
):
    new_request(signed_in(client, people.bob, reauthenticated=True), fields=["name", "postal_code"])
    owner = signed_in(client.__class__(), people.alice, reauthenticated=True)
    page = owner.get(f"/admin/exports/{latest().pk}/").content.decode()
    assert "3 人" in page and "氏名、郵便番号" in page
    assert "export-sensitive-warning" not in page


def test_cp932_values_it_cannot_hold_are_counted_by_field_before_the_request(client, people, shop):
    Customer.objects.create(name="𠮷田 はなこ", email="yoshida@example.com")
    response = new_request(signed_in(client, people.bob, reauthenticated=True), encoding="cp932")
    assert response.status_code == 400
    assert "氏名: 1人の値はCP932で表せません" in response.content.decode()
    assert "𠮷" not in response.content.decode()
    assert not latest()


def test_a_cp932_archive_opens_in_cp932(client, people, shop):
    _export, members = approved_download(client, people, encoding="cp932")
    assert "山田 花子" in members["customers.csv"]


def test_an_unknown_category_code_is_refused_by_the_service(people, shop):
    with pytest.raises(Exception, match="カテゴリ"):
        services.check_request(purpose="x", fields=["name"], categories=["nope"])


def test_a_search_result_offers_its_export_to_those_who_may_request(client, people, shop):
    for who, offered in (("bob", True), ("carol", False)):
        client.force_login(getattr(people, who))
        found = client.post("/admin/customers/customer/search/", {"q": "taro@example.com"})
        page = client.get(found.url).content.decode()
        token = found.url.split("s=")[1]
        assert (f'href="/admin/exports/new/?s={token}"' in page) is offered, who
        assert "taro@example.com" not in page


THIRD_PARTY = {
    "recipient": "third_party",
    "recipient_name": "株式会社サンプル物産",
    "recipient_address": "東京都千代田区サンプル1-1",
    "recipient_representative": "代表取締役 見本 一郎",
    "provision_basis": "consent",
    "consent_evidence": "2026年11月のキャンペーン応募時の同意",
}


def test_a_third_party_export_leaves_out_who_asked_to_stop_and_says_so(client, people, shop):
    """APPI art. 35: a customer who asked the shop to stop giving their data to third
    parties is in no third-party archive, and the requester is told how many were left out."""
    from django.utils import timezone

    hanako, taro, _ichiro = shop
    Customer.objects.filter(pk=hanako.pk).update(third_party_stopped_at=timezone.now())
    response = new_request(
        signed_in(client, people.bob, reauthenticated=True), **THIRD_PARTY, fields=["email"]
    )
    followed = client.get(response.url).content.decode()
    assert "第三者への提供の停止を求めたお客様1人は、この申請から除きました" in followed
    export = latest()
    assert export.customer_count == 2 and str(hanako.pk) not in export.customer_ids
    # Someone who asks to stop after the request is left out of the archive too.
    Customer.objects.filter(pk=taro.pk).update(third_party_stopped_at=timezone.now())
    owner = signed_in(client.__class__(), people.alice, reauthenticated=True)
    assert decide(owner, export).status_code == 302
    response, password = download(client, export)
    members = archive_members(b"".join(response.streaming_content), password)
    emails = {r[1] for r in rows_of(members["customers.csv"])[1:]}
    assert emails == {"ichiro@example.com"}


def test_an_internal_export_still_holds_everyone(client, people, shop):
    from django.utils import timezone

    Customer.objects.filter(pk=shop[0].pk).update(third_party_stopped_at=timezone.now())
    export, members = approved_download(client, people, fields=["email"])
    assert len(rows_of(members["customers.csv"])) - 1 == len(shop)
