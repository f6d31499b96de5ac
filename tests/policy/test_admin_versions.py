import pytest
from django.utils import timezone

from audit.models import AuditEntry
from policy.models import PolicyVersion
from tests.policy.conftest import sign_in

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/policy/policyversion/"


def draft_form_data(draft, **overrides):
    data = {
        "material_change": "on",
        "change_summary_ja": "第7条を改めました。",
        "change_summary_en": "Article 7 revised.",
    }
    for article in draft.articles:
        for key in ("title_ja", "title_en", "body_ja", "body_en"):
            data[f"article_{article['number']}_{key}"] = article[key]
    data.update(overrides)
    return data


@pytest.fixture
def draft(version1, people):
    return version1.new_draft(people.alice)


def publish_url(draft):
    return f"/admin/policy/policyversion/{draft.pk}/publish/"


def publish_data():
    return {"effective_date": timezone.localdate().isoformat(), "confirm": "on"}


def edited_draft(draft):
    draft.articles[6]["body_ja"] += "\n改定しました。"
    draft.change_summary_ja = "第7条"
    draft.save()
    return draft


def test_anonymous_cannot_publish(client, draft):
    response = client.post(publish_url(draft), publish_data())
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert PolicyVersion.objects.get(pk=draft.pk).status == "draft"
    assert not AuditEntry.objects.filter(action="policy.publish").exists()


@pytest.mark.parametrize("name", ["bob", "carol", "dave"])
def test_other_roles_cannot_publish_even_after_reauth(client, people, draft, name):
    sign_in(client, getattr(people, name), reauthenticated=True)
    response = client.post(publish_url(edited_draft(draft)), publish_data())
    assert response.status_code == 403
    assert PolicyVersion.objects.get(pk=draft.pk).status == "draft"
    assert not AuditEntry.objects.filter(action="policy.publish").exists()


@pytest.mark.parametrize("name", ["bob", "carol", "dave"])
def test_other_roles_do_not_see_policy_versions(client, people, draft, name):
    sign_in(client, getattr(people, name))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(f"{CHANGELIST}{draft.pk}/change/").status_code == 403


def test_the_owner_must_reauthenticate_to_publish(client, people, draft):
    sign_in(client, people.alice)
    response = client.post(publish_url(edited_draft(draft)), publish_data())
    assert response.status_code == 302 and response.url.startswith("/admin/reauth/")
    assert PolicyVersion.objects.get(pk=draft.pk).status == "draft"
    assert not AuditEntry.objects.filter(action="policy.publish").exists()


def test_the_owner_publishes_after_reauthentication(client, people, draft):
    sign_in(client, people.alice, reauthenticated=True)
    confirm = client.get(publish_url(edited_draft(draft)))
    assert confirm.status_code == 200
    assert '<ins class="diff-insert">' in confirm.content.decode()
    response = client.post(publish_url(draft), publish_data())
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "published" and draft.number == 2
    assert draft.published_by == people.alice
    entry = AuditEntry.objects.get(action="policy.publish")
    assert entry.actor_username == "alice" and entry.actor_role == "owner"
    assert entry.detail["number"] == 2 and entry.detail["content_hash"] == draft.content_hash
    assert "改定しました。" in client.get("/privacy/").content.decode()


def test_reauthentication_expires(client, people, draft, clock):
    sign_in(client, people.alice, reauthenticated=True)
    clock.advance(11 * 60)
    response = client.post(publish_url(edited_draft(draft)), publish_data())
    assert response.status_code == 302 and response.url.startswith("/admin/reauth/")
    assert PolicyVersion.objects.get(pk=draft.pk).status == "draft"


def test_publishing_unchanged_text_is_refused(client, people, draft):
    sign_in(client, people.alice, reauthenticated=True)
    draft.change_summary_ja = "変更なし"
    draft.save()
    response = client.post(publish_url(draft), publish_data())
    assert response.status_code == 200
    assert "前の版と内容が同じです" in response.content.decode()
    assert PolicyVersion.objects.get(pk=draft.pk).status == "draft"
    assert not AuditEntry.objects.filter(action="policy.publish").exists()


def test_a_published_version_cannot_be_published_again(client, people, version1):
    sign_in(client, people.alice, reauthenticated=True)
    response = client.post(publish_url(version1), publish_data())
    assert response.status_code == 404


def test_a_published_version_is_read_only_in_the_admin(client, people, version1):
    sign_in(client, people.alice)
    page = client.get(f"{CHANGELIST}{version1.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "<textarea" not in body and 'name="_save"' not in body
    assert "この版をもとに下書きを作成" in body
    response = client.post(f"{CHANGELIST}{version1.pk}/change/", draft_form_data(version1))
    assert response.status_code == 403
    assert client.post(f"{CHANGELIST}{version1.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PolicyVersion.objects.get(pk=version1.pk).content_hash == version1.content_hash
    assert not AuditEntry.objects.filter(action="policy.edit").exists()


def test_editing_a_published_version_starts_a_new_draft(client, people, version1):
    sign_in(client, people.alice)
    response = client.post(f"{CHANGELIST}{version1.pk}/new-draft/")
    draft = PolicyVersion.objects.get(status="draft")
    assert response.status_code == 302 and response.url == f"{CHANGELIST}{draft.pk}/change/"
    assert draft.articles == version1.articles and draft.based_on == version1
    entry = AuditEntry.objects.get(action="policy.edit")
    assert entry.detail == {
        "step": "draft_created",
        "based_on": 1,
        "fields": [
            "articles",
            "based_on",
            "content_hash",
            "created_by",
            "material_change",
            "status",
        ],
    }
    drafts = AuditEntry.objects.filter(target_type="policy.policyversion", target_id=str(draft.pk))
    assert list(drafts.values_list("action", flat=True)) == ["policy.edit"]


def test_a_manager_cannot_start_a_draft(client, people, version1):
    sign_in(client, people.bob)
    assert client.post(f"{CHANGELIST}{version1.pk}/new-draft/").status_code == 403
    assert not PolicyVersion.objects.filter(status="draft").exists()


def test_the_owner_edits_a_draft_and_the_edit_is_recorded(client, people, draft):
    sign_in(client, people.alice)
    url = f"{CHANGELIST}{draft.pk}/change/"
    assert client.get(url).status_code == 200
    data = draft_form_data(draft, article_7_body_ja="見直しを年に一度行います。")
    response = client.post(url, data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.articles[6]["body_ja"] == "見直しを年に一度行います。"
    assert draft.material_change and draft.status == "draft"
    entry = AuditEntry.objects.get(action="policy.edit")
    assert "article_7_body_ja" in entry.detail["fields"]
    assert "見直し" not in str(entry.detail)


def test_a_draft_refuses_card_numbers(client, people, draft):
    sign_in(client, people.alice)
    url = f"{CHANGELIST}{draft.pk}/change/"
    response = client.post(url, draft_form_data(draft, article_7_body_ja="4242 4242 4242 4242"))
    assert response.status_code == 200
    draft.refresh_from_db()
    assert "4242" not in draft.articles[6]["body_ja"]
    assert not AuditEntry.objects.filter(action="policy.edit").exists()
