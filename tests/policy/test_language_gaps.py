"""Publishing is refused while the Japanese and English texts of a version name different
list items (purposes, third-party cases) or foreign countries, with the difference shown:
the English Article 4 once silently lacked a third party newly added in Japanese."""

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from policy import services
from policy.content import language_gaps
from policy.countries import countries_named, foreign_countries_named
from policy.models import PolicyVersion
from tests.policy.conftest import edited_articles
from tests.signing import signed_in

pytestmark = pytest.mark.django_db

NEW_CASE_JA = "(6) 商品の配送のため、配送業者に氏名・住所・電話番号を提供する場合"
NEW_CASE_EN = "(6) when we give your name, address and phone number to a carrier to deliver."


def draft_with(version1, people, number, *, ja="", en=""):
    article = next(a for a in version1.articles if a["number"] == number)
    articles = edited_articles(
        version1.articles,
        number,
        body_ja=article["body_ja"] + ("\n" + ja if ja else ""),
        body_en=article["body_en"] + ("\n" + en if en else ""),
    )
    draft = version1.new_draft(people.alice)
    draft.articles = articles
    draft.material_change = True
    draft.change_summary_ja = "第三者提供の場合を追加"
    draft.save()
    return draft


def publish(client, draft):
    data = {"effective_date": timezone.localdate().isoformat(), "confirm": "on"}
    return client.post(f"/admin/policy/policyversion/{draft.pk}/publish/", data)


def test_a_third_party_added_in_japanese_only_is_refused_with_the_difference(
    client, people, version1
):
    draft = draft_with(version1, people, 4, ja=NEW_CASE_JA)
    signed_in(client, people.alice, reauthenticated=True)
    response = publish(client, draft)
    assert response.status_code == 200
    page = response.content.decode()
    assert "日本語と英語で、挙げている内容が違います" in page
    assert "第4条: 日本語にだけある項目「(6) 商品の配送のため" in page
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert not AuditEntry.objects.filter(action="policy.publish").exists()


def test_the_same_case_in_both_languages_publishes(client, people, version1):
    draft = draft_with(version1, people, 4, ja=NEW_CASE_JA, en=NEW_CASE_EN)
    signed_in(client, people.alice, reauthenticated=True)
    assert publish(client, draft).status_code == 302
    draft.refresh_from_db()
    assert draft.number == 2
    assert AuditEntry.objects.filter(action="policy.publish").count() == 1


def test_a_purpose_in_english_only_is_refused(client, people, version1):
    draft = draft_with(version1, people, 3, en="(5) sending you surveys.")
    signed_in(client, people.alice, reauthenticated=True)
    page = publish(client, draft).content.decode()
    assert "第3条: 英語にだけある項目「(5) sending you surveys.」" in page
    assert PolicyVersion.objects.get(pk=draft.pk).status == "draft"


def test_a_foreign_country_named_in_one_language_only_is_refused(client, people, version1):
    draft = draft_with(version1, people, 5, ja="お客様の情報は米国のデータセンターに保管します。")
    signed_in(client, people.alice, reauthenticated=True)
    page = publish(client, draft).content.decode()
    assert "第5条: 日本語だけが国「アメリカ合衆国」を挙げています" in page
    assert PolicyVersion.objects.get(pk=draft.pk).status == "draft"
    draft = draft_with(
        version1,
        people,
        5,
        ja="お客様の情報は米国のデータセンターに保管します。",
        en="Your data is kept in a data centre in the US.",
    )
    assert publish(client, draft).status_code == 302


def test_the_service_refuses_too(people, version1, rf):
    draft = draft_with(version1, people, 4, ja=NEW_CASE_JA)
    request = rf.post("/")
    request.user = people.alice
    with pytest.raises(ValueError):
        services.publish_version(request, draft, timezone.localdate())
    assert PolicyVersion.objects.get(pk=draft.pk).status == "draft"


def test_the_seeded_policy_names_the_same_things_in_both_languages(version1):
    assert language_gaps(version1.articles) == []


def test_countries_are_found_by_name_not_inside_other_words():
    assert countries_named("米国とシンガポールのサーバー", "ja") == {"US", "SG"}
    assert countries_named("servers in the United States and Singapore", "en") == {"US", "SG"}
    assert countries_named("タイミングよくネクタイを", "ja") == set()
    assert countries_named("tell us about it", "en") == set()
    # Japan's own laws are named freely in either language.
    assert foreign_countries_named("日本の法令", "ja") == set()
