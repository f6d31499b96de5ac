"""The public page shows a list's numbers as the owner wrote them: the same numbers as the
diff approved on the publish page, never a list renumbered from (1)."""

import re

import pytest
from django.utils import timezone

from policy.content import body_blocks
from tests.signing import signed_in

pytestmark = pytest.mark.django_db

MARKER = re.compile(r"^\s*([(（][0-9０-９]+[)）])", re.MULTILINE)


def diff_markers(publish_page, number):
    """The list markers of article ``number`` in the text the diff shows as approved."""
    change = next(c for c in publish_page.context["changes_ja"] if c.number == number)
    approved = "".join(text for op, text in change.body if op != "delete")
    return MARKER.findall(approved)


def public_markers(page, number):
    """The list markers article ``number`` shows on the public page."""
    section = page.text.split(f'id="article-{number}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<span class="policy-marker">([^<]*)</span>', section)


def publish_through_the_admin(client, draft):
    url = f"/admin/policy/policyversion/{draft.pk}/publish/"
    page = client.get(url)
    assert page.status_code == 200
    data = {"effective_date": timezone.localdate().isoformat(), "confirm": "on"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    return page


@pytest.mark.parametrize(
    "items",
    [
        ["(9) 新しい項目", "(10) その次の項目"],  # a list that starts at (9)
        ["(1) 一つ目", "(3) 三つ目", "(7) 七つ目"],  # numbers that skip
        ["（２） 全角の番号", "（５） 全角の次"],  # full-width markers
    ],
    ids=["starts-at-9", "non-consecutive", "full-width"],
)
def test_the_public_page_shows_the_numbers_of_the_approved_diff(client, people, version1, items):
    draft = version1.new_draft(people.alice)
    draft.articles[6]["body_ja"] += "\n\n次の事項を追加します。\n" + "\n".join(items)
    # The same items in English (a version's two languages list the same numbers).
    english = [f"({body_blocks(item)[0]['items'][0]['number']}) item" for item in items]
    draft.articles[6]["body_en"] += "\n\nWe add the following.\n" + "\n".join(english)
    draft.change_summary_ja = "第7条に項目を追加しました。"
    draft.save()
    signed_in(client, people.alice, reauthenticated=True)
    publish_page = publish_through_the_admin(client, draft)
    approved = diff_markers(publish_page, 7)
    shown = public_markers(client.get("/privacy/"), 7)
    assert approved[-len(items) :] == [item.split()[0] for item in items]
    assert shown == approved


def test_a_list_item_keeps_its_marker_and_number():
    blocks = body_blocks("前文\n(9) 九\n（１０） 十\n3. 三")
    assert blocks[1]["items"] == [
        {"marker": "(9)", "number": 9, "text": "九"},
        {"marker": "（１０）", "number": 10, "text": "十"},
        {"marker": "3.", "number": 3, "text": "三"},
    ]
