"""The shop's own words on every admin page: no Django default titles ("変更する 顧客 を
選択", "Select customer to change"), no "staff account" sign-in refusal, one word per
thing (docs/glossary.md), one date format and yen with separators."""

import datetime

import pytest
from django.contrib import admin
from django.template import Context, Template
from django.utils import timezone, translation

from tests.customers.vault import make_customer

LANGUAGES = ("ja", "en")
# Words the glossary replaced, and what only developers can read.
NEVER = (
    "staff account",
    "スタッフアカウント",
    "ログイン",
    "ログアウト",
    "店長",
    "Log in",
    "Log out",
    "algorithm:",
    "アルゴリズム",
    "argon2",
    "pbkdf2",
)


def django_default_titles(model, language):
    with translation.override(language):
        name = str(model._meta.verbose_name)
    if language == "ja":
        return [
            f"変更する {name} を選択",
            f"表示する{name}を選択",
            f"{name} を追加",
            f"{name} を変更",
        ]
    return [f"Select {name} to change", f"Select {name} to view", f"Add {name}<", f"Change {name}"]


def admin_pages(sample_customer):
    """The list and add page of every registered model, and two change pages."""
    for model, model_admin in admin.site._registry.items():
        info = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        yield model, info
        yield model, f"{info}add/"
    yield sample_customer.__class__, f"/admin/customers/customer/{sample_customer.pk}/change/"
    yield sample_customer.__class__, f"/admin/customers/customer/{sample_customer.pk}/"


@pytest.mark.usefixtures("test_reads")
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("person", ["alice", "bob", "carol", "dave"])
def test_no_admin_page_shows_django_default_titles_or_retired_words(
    client, people, language, person
):
    customer = make_customer()
    client.force_login(getattr(people, person))
    shown = 0
    for model, path in admin_pages(customer):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
        if response.status_code != 200:
            continue
        shown += 1
        page = response.content.decode()
        for text in (*django_default_titles(model, language), *NEVER):
            assert text not in page, f"{path} ({language}, {person}) shows {text!r}"
    assert shown >= 2


def test_the_people_admin_shows_no_password_hash(client, people):
    client.force_login(people.alice)
    page = client.get(f"/admin/auth/user/{people.carol.pk}/change/").content.decode()
    assert "パスワードは安全に保存されています" in page
    assert 'href="../password/"' in page
    for text in ("algorithm", "アルゴリズム", "hash:", "ハッシュ", "salt", "iterations"):
        assert text not in page


def test_the_people_list_filters_by_role_in_japanese(client, people):
    client.force_login(people.alice)
    page = client.get("/admin/auth/user/").content.decode()
    for label in ("オーナー", "マネージャー", "スタッフ", "監査担当"):
        assert label in page
    assert "?role=manager" in page
    filtered = client.get("/admin/auth/user/?role=manager").content.decode()
    assert "bob" in filtered and ">carol<" not in filtered


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_wrong_password_is_refused_in_the_shops_words(client, people, language):
    response = client.post(
        "/admin/login/",
        {"username": "alice", "password": "not-the-password"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "staff account" not in page and "スタッフ" not in page
    expected = {"ja": "ユーザー名またはパスワードが正しくありません", "en": "is not right"}
    assert expected[language] in page


@pytest.mark.parametrize(
    ("language", "expected"),
    [("ja", "2026年12月2日 14:05"), ("en", "2 Dec 2026, 14:05")],
)
def test_dates_read_one_way_in_japan_time(language, expected):
    moment = datetime.datetime(2026, 12, 2, 5, 5, tzinfo=datetime.UTC)  # 14:05 in Tokyo
    with translation.override(language), timezone.override("Asia/Tokyo"):
        rendered = Template("{{ at|date:'DATETIME_FORMAT' }}|{{ at }}").render(
            Context({"at": moment})
        )
    assert rendered == f"{expected}|{expected}"


@pytest.mark.parametrize(("language", "expected"), [("ja", "12,345円"), ("en", "¥12,345")])
def test_yen_have_thousands_separators(language, expected):
    with translation.override(language):
        rendered = Template("{% load shopguard_formats %}{{ amount|yen }}").render(
            Context({"amount": 12345})
        )
    assert rendered == expected


@pytest.mark.usefixtures("test_reads")
def test_the_customer_page_shows_its_registration_in_the_one_date_format(client, people):
    customer = make_customer()
    moment = datetime.datetime(2026, 12, 2, 5, 5, tzinfo=datetime.UTC)
    type(customer).objects.filter(pk=customer.pk).update(created_at=moment)
    client.force_login(people.alice)
    path = f"/admin/customers/customer/{customer.pk}/"
    assert "2026年12月2日 14:05" in client.get(path).content.decode()
    assert "2 Dec 2026, 14:05" in client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
