"""The material-change box: when a draft adds a purpose of use (Article 3) or a third
party (Article 4, or a new mention elsewhere) against the published version, the box
starts ticked and a prompt says what counts as material (APPI art. 17, 18, 21, 27);
unticking it takes an explicit confirmation, on save and on publish. A wording-only
edit prompts nothing."""

import pytest

from policy.content import material_changes
from policy.models import PolicyVersion
from tests.policy.test_admin_versions import draft_form_data, publish_data, publish_url
from tests.signing import signed_in

pytestmark = pytest.mark.django_db

PROMPT = 'id="material-change-prompt"'


def change_url(draft):
    return f"/admin/policy/policyversion/{draft.pk}/change/"


def with_article(draft, number, **changes):
    draft.articles = [{**a, **changes} if a["number"] == number else a for a in draft.articles]
    draft.change_summary_ja = "変更しました。"
    draft.save()
    return draft


def purpose_added(draft):
    body = draft.articles[2]["body_ja"].replace(
        "(4) お問い合わせへのご回答", "(4) お問い合わせへのご回答\n(5) 新商品の共同開発"
    )
    return with_article(draft, 3, body_ja=body)


def third_party_added(draft):
    body = draft.articles[3]["body_ja"] + "\n(6) 提携先の株式会社見本に提供する場合"
    return with_article(draft, 4, body_ja=body)


def in_english_too(draft, number, line):
    """``draft`` with ``line`` added to article ``number``'s English as well: a version
    whose two languages list different items is not published (test_language_gaps)."""
    article = next(a for a in draft.articles if a["number"] == number)
    return with_article(draft, number, body_en=article["body_en"] + "\n" + line)


def reworded(draft):
    body = draft.articles[2]["body_ja"].replace("催し物のご案内", "催し物のお知らせ")
    return with_article(draft, 3, body_ja=body)


@pytest.fixture
def draft(version1, people):
    return version1.new_draft(people.alice)


@pytest.fixture
def owner(client, people):
    return signed_in(client, people.alice, reauthenticated=True)


def test_a_new_purpose_prompts_and_ticks_the_box(owner, draft):
    page = owner.get(change_url(purpose_added(draft)))
    assert page.status_code == 200
    assert PROMPT in page.text and "新商品の共同開発" in page.text
    assert "第17条第2項" in page.text and "第27条第1項" in page.text
    assert page.context["adminform"].form["material_change"].value() is True


def test_a_new_third_party_prompts_and_ticks_the_box(owner, draft):
    page = owner.get(change_url(third_party_added(draft)))
    assert PROMPT in page.text and "提携先の株式会社見本" in page.text
    assert page.context["adminform"].form["material_change"].value() is True


def test_a_third_party_named_in_another_article_prompts_too(draft):
    body = draft.articles[2]["body_ja"] + "\nまた、第三者である提携先にも提供します。"
    draft = with_article(draft, 3, body_ja=body)
    found = material_changes(draft.previous().articles, draft.articles)
    assert [(c.kind, c.article) for c in found] == [("third_party_added", 3)]


def test_a_wording_only_edit_prompts_nothing(owner, draft):
    page = owner.get(change_url(reworded(draft)))
    assert page.status_code == 200 and PROMPT not in page.text
    assert page.context["adminform"].form["material_change"].value() is False


def test_unticking_the_box_without_confirming_is_refused(owner, draft):
    draft = purpose_added(draft)
    data = draft_form_data(draft)
    del data["material_change"]
    response = owner.post(change_url(draft), data)
    assert response.status_code == 200 and PROMPT in response.text
    assert "重要な変更には当たらないことを確認してください" in response.text
    draft.refresh_from_db()
    assert draft.change_summary_ja == "変更しました。"  # nothing saved


def test_unticking_the_box_with_the_confirmation_saves_it_unticked(owner, draft):
    draft = purpose_added(draft)
    data = {**draft_form_data(draft), "material_change_declined": "on"}
    del data["material_change"]
    response = owner.post(change_url(draft), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.material_change is False


def test_keeping_the_box_ticked_saves_a_material_change(owner, draft):
    draft = third_party_added(draft)
    response = owner.post(change_url(draft), draft_form_data(draft))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.material_change is True


def test_publishing_an_unticked_new_purpose_needs_the_confirmation(owner, draft):
    draft = purpose_added(draft)  # saved directly: the box is still off
    draft = in_english_too(draft, 3, "(5) developing new products with partners.")
    page = owner.get(publish_url(draft))
    assert PROMPT in page.text
    response = owner.post(publish_url(draft), publish_data())
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == PolicyVersion.Status.DRAFT
    data = {**publish_data(), "material_change_declined": "on"}
    assert owner.post(publish_url(draft), data).status_code == 302
    draft.refresh_from_db()
    assert draft.status == PolicyVersion.Status.PUBLISHED and draft.material_change is False


def test_a_ticked_material_change_publishes_without_a_further_question(owner, draft):
    draft = third_party_added(draft)
    draft = in_english_too(draft, 4, "(6) when we give it to our partner, Mihon K.K.")
    draft.material_change = True
    draft.save()
    response = owner.post(publish_url(draft), publish_data())
    assert response.status_code == 302
    assert PolicyVersion.objects.last_material_change() == PolicyVersion.objects.get(pk=draft.pk)


def test_publishing_a_wording_only_edit_asks_nothing_more(owner, draft):
    draft = reworded(draft)
    page = owner.get(publish_url(draft))
    assert PROMPT not in page.text
    assert owner.post(publish_url(draft), publish_data()).status_code == 302
