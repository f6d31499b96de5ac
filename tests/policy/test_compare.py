import pytest

from policy.content import compare_articles, diff_segments
from tests.policy.conftest import edited_articles, publish

pytestmark = pytest.mark.django_db


def test_diff_marks_japanese_by_character_and_english_by_word():
    assert diff_segments("当店は連絡します。", "当店は必ず連絡します。") == [
        ("equal", "当店は"),
        ("insert", "必ず"),
        ("equal", "連絡します。"),
    ]
    assert diff_segments("We send mail.", "We send e-mail.") == [
        ("equal", "We send "),
        ("insert", "e-"),
        ("equal", "mail."),
    ]
    assert diff_segments("by post", "by phone") == [
        ("equal", "by "),
        ("delete", "post"),
        ("insert", "phone"),
    ]


def test_compare_articles_reports_each_article_status():
    old = [
        {"number": 1, "title_ja": "甲", "title_en": "A", "body_ja": "本文", "body_en": "Body"},
        {"number": 2, "title_ja": "乙", "title_en": "B", "body_ja": "残す", "body_en": "Keep"},
        {"number": 3, "title_ja": "丙", "title_en": "C", "body_ja": "消す", "body_en": "Gone"},
    ]
    new = [
        {"number": 1, "title_ja": "甲", "title_en": "A", "body_ja": "本文", "body_en": "New Body"},
        {"number": 2, "title_ja": "乙", "title_en": "B", "body_ja": "残す", "body_en": "Keep"},
        {"number": 4, "title_ja": "丁", "title_en": "D", "body_ja": "新設", "body_en": "Added"},
    ]
    changes = {c.number: c for c in compare_articles(old, new, "en")}
    assert [changes[n].status for n in (1, 2, 3, 4)] == ["changed", "unchanged", "removed", "added"]
    assert ("insert", "New ") in changes[1].body
    assert changes[3].body == [("delete", "Gone")]
    assert changes[4].body == [("insert", "Added")]
    in_japanese = {c.number: c for c in compare_articles(old, new, "ja")}
    assert in_japanese[1].changed_in_other_language_only
    assert not changes[1].changed_in_other_language_only


def test_the_comparison_page_highlights_what_changed(client, version1, version2):
    response = client.get("/privacy/compare/1/2/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="article-3"' in body and "diff-changed" in body
    assert '<ins class="diff-insert">(5) アンケートのお願い\n</ins>' in body
    assert body.count("diff-unchanged") == 6
    assert 'href="#article-3"' in body
    assert "style=" not in body


def test_the_comparison_page_works_in_english(client, version1, version2):
    body = client.get("/privacy/compare/1/2/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<ins class="diff-insert">;\n(5) asking for surveys</ins>' in body


def test_the_comparison_escapes_html(client, version1):
    publish(edited_articles(version1.articles, 1, body_ja="<script>x()</script>"))
    body = client.get("/privacy/compare/1/2/").content.decode()
    assert "<script>x()" not in body
    assert "&lt;script&gt;x()&lt;/script&gt;" in body


def test_comparing_a_version_with_itself_shows_no_change(client, version1):
    body = client.get("/privacy/compare/1/1/").content.decode()
    assert "条文に違いはありません。" in body
    assert 'diff-insert">' not in body.split("diff-legend")[1].split("</p>", 1)[1]


def test_the_history_form_redirects_to_the_comparison(client, version1, version2):
    response = client.get("/privacy/compare/", {"a": "1", "b": "2"})
    assert response.status_code == 302 and response.url == "/privacy/compare/1/2/"
    assert client.get("/privacy/compare/", {"a": "x"}).url == "/privacy/history/"
