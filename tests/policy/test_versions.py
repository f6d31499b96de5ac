import pytest

from audit.models import AuditEntry
from policy.content import content_hash
from policy.models import PolicyVersion, PublishedVersionError
from tests.policy.conftest import SEED, edited_articles


def test_it_seeds_version_1_with_seven_articles_in_both_languages(version1):
    assert version1.status == PolicyVersion.Status.PUBLISHED
    assert [a["number"] for a in version1.articles] == [1, 2, 3, 4, 5, 6, 7]
    texts = ("title_ja", "title_en", "body_ja", "body_en")
    assert all(all(a[key] for key in texts) for a in SEED.ARTICLES)
    assert version1.content_hash == content_hash(SEED.ARTICLES)


def test_content_hash_covers_both_languages(version1):
    english_only = edited_articles(version1.articles, 5, body_en="Different.")
    japanese_only = edited_articles(version1.articles, 5, body_ja="違う内容。")
    hashes = {
        content_hash(version1.articles),
        content_hash(english_only),
        content_hash(japanese_only),
    }
    assert len(hashes) == 3
    assert len(version1.content_hash) == 64


def test_content_hash_ignores_line_ending_and_order_noise(version1):
    shuffled = list(
        reversed([{**a, "body_ja": a["body_ja"].replace("\n", "\r\n")} for a in version1.articles])
    )
    assert content_hash(shuffled) == version1.content_hash


def test_it_refuses_to_save_a_published_version(version1):
    version1.articles = edited_articles(version1.articles, 1, body_ja="書き換え")
    with pytest.raises(PublishedVersionError):
        version1.save()
    assert PolicyVersion.objects.get(number=1).articles[0]["body_ja"] != "書き換え"


def test_it_refuses_to_unpublish_a_version(version1):
    version1.status = PolicyVersion.Status.DRAFT
    with pytest.raises(PublishedVersionError):
        version1.save()
    assert PolicyVersion.objects.get(pk=version1.pk).status == PolicyVersion.Status.PUBLISHED


def test_it_refuses_to_delete_a_published_version(version1):
    with pytest.raises(PublishedVersionError):
        version1.delete()
    with pytest.raises(PublishedVersionError):
        PolicyVersion.objects.filter(number=1).delete()
    assert PolicyVersion.objects.filter(number=1).exists()


def test_it_refuses_queryset_updates_of_published_versions(version1):
    with pytest.raises(PublishedVersionError):
        PolicyVersion.objects.filter(pk=version1.pk).update(change_summary_ja="x")
    assert PolicyVersion.objects.get(pk=version1.pk).change_summary_ja == ""


def test_a_draft_copies_the_version_and_can_change(version1, people):
    draft = version1.new_draft(people.alice)
    assert draft.status == PolicyVersion.Status.DRAFT and draft.number is None
    assert draft.articles == version1.articles and draft.based_on == version1
    draft.articles = edited_articles(draft.articles, 7, title_ja="見直し")
    draft.save()
    draft.refresh_from_db()
    assert draft.content_hash != version1.content_hash
    # The model's own saves are change-capture entries; the policy.* steps come from services.
    assert not AuditEntry.objects.filter(action__startswith="policy.").exists()


def test_publishing_numbers_the_draft_and_freezes_it(version1, people):
    draft = version1.new_draft(people.alice)
    draft.publish(people.alice, version1.effective_date)
    assert draft.number == 2 and draft.is_published
    assert PolicyVersion.objects.current() == draft
    with pytest.raises(PublishedVersionError):
        draft.publish(people.alice, version1.effective_date)
