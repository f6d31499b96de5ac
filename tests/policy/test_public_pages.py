from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from policy.models import PolicyVersion, ShopProfile
from tests.policy.conftest import edited_articles, publish

pytestmark = pytest.mark.django_db


def test_it_shows_the_current_policy_in_japanese_by_default(client, version1):
    response = client.get("/privacy/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="ja">' in body
    assert "第1条　個人情報の取得" in body
    for number in range(1, 8):
        assert f'id="article-{number}"' in body
    assert version1.content_hash in body


def test_it_shows_english_for_accept_language_en(client, version1):
    response = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "How we obtain personal information" in body
    assert "個人情報の取得" not in body


def test_the_language_switch_turns_the_page_english(client, version1):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/privacy/"})
    assert response.status_code == 302
    body = client.get("/privacy/").content.decode()
    assert "What we use personal information for" in body


def test_it_renders_numbered_lists_and_paragraphs(client, version1):
    body = client.get("/privacy/").content.decode()
    assert (
        '<ol class="policy-list"><li value="1"><span class="policy-marker">(1)</span>'
        "お客様へのご連絡</li>"
    ) in body
    assert "<p>当店は、お預かりした個人情報を次の目的にのみ利用します。</p>" in body


def test_it_shows_the_shop_profile_facts(client, version1):
    profile = ShopProfile.load()
    profile.business_name_ja = "有限会社テスト屋"
    profile.business_name_en = "Test-ya Ltd."
    profile.request_fee_ja = "1件につき500円"
    profile.save()
    body = client.get("/privacy/").content.decode()
    assert "有限会社テスト屋" in body and "1件につき500円" in body
    assert 'id="safety-measures"' in body and 'id="requests-and-complaints"' in body
    assert "Test-ya Ltd." in client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_html_in_the_text_is_shown_as_text(client, version1):
    attack = '<script>alert("x")</script><b onmouseover="x">太字</b>'
    publish(edited_articles(version1.articles, 2, title_ja="<i>見出し</i>", body_ja=attack))
    profile = ShopProfile.load()
    profile.safety_measures_ja = "<img src=x onerror=alert(1)>"
    profile.save()
    body = client.get("/privacy/").content.decode()
    assert "<script>alert" not in body and "<b onmouseover" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    assert "&lt;i&gt;見出し&lt;/i&gt;" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body


def test_history_lists_published_versions_newest_first(client, version1, version2):
    PolicyVersion.objects.create(articles=version1.articles, change_summary_ja="秘密の下書き")
    response = client.get("/privacy/history/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("/privacy/v/2/") < body.index("/privacy/v/1/")
    assert "/privacy/compare/1/2/" in body
    assert "第3条に利用目的を追加しました。" in body
    assert "秘密の下書き" not in body


def test_each_version_has_its_own_page(client, version1, version2):
    old = client.get("/privacy/v/1/")
    assert old.status_code == 200
    assert "この版は現在施行されている版ではありません。" in old.content.decode()
    assert "アンケート" not in old.content.decode()
    new = client.get("/privacy/v/2/")
    assert new.status_code == 200 and "アンケートのお願い" in new.content.decode()
    assert "アンケートのお願い" in client.get("/privacy/").content.decode()


def test_drafts_and_unknown_versions_are_404(client, version1):
    draft = PolicyVersion.objects.create(articles=version1.articles)
    assert client.get(f"/privacy/v/{draft.pk}/").status_code == 404
    assert client.get("/privacy/v/99/").status_code == 404
    assert client.get("/privacy/compare/1/99/").status_code == 404


def test_a_future_version_is_announced_but_not_yet_current(client, version1):
    tomorrow = timezone.localdate() + timedelta(days=30)
    future = publish(
        edited_articles(version1.articles, 7, body_ja="新しい見直し条項。"), effective=tomorrow
    )
    body = client.get("/privacy/").content.decode()
    assert "新しい見直し条項。" not in body
    assert f"/privacy/v/{future.number}/" in body
    assert PolicyVersion.objects.current() == version1


@pytest.mark.parametrize(
    "url", ["/privacy/", "/privacy/v/1/", "/privacy/history/", "/privacy/compare/1/2/"]
)
@pytest.mark.parametrize("language", ["ja", "en"])
def test_public_pages_use_a_bounded_number_of_queries(
    client, version1, version2, django_assert_max_num_queries, url, language
):
    for n in range(3, 8):  # more versions must not mean more queries
        publish(edited_articles(version1.articles, 7, body_ja=f"見直し{n}"))
    with django_assert_max_num_queries(5):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200


def test_pages_print_cleanly_with_their_own_stylesheet(client, version1):
    body = client.get("/privacy/").content.decode()
    assert "policy/policy.css" in body
    assert "style=" not in body
    css = Path(__file__).resolve().parents[2].joinpath("static/policy/policy.css").read_text()
    assert "@media print" in css


def test_the_security_measures_show_the_retention_periods_in_force(client, version1, settings):
    settings.RETENTION_CUSTOMER_YEARS = 4
    settings.AUDIT_RETENTION_DAYS = 400
    body = client.get("/privacy/").content.decode()
    measures = body.split('id="safety-measures"')[1]
    assert 'id="retention"' in measures
    assert "最後のご購入から4年（その後、匿名化）" in measures and "400日" in measures
    english = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "4 years after the last purchase" in english
