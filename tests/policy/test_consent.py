import re
from datetime import timedelta

import pytest

from audit.models import AuditEntry
from policy.models import Channel, ConsentInvitation, ConsentRecord, customers_without_consent
from policy.services import record_consent
from tests.policy.conftest import edited_articles, publish, sign_in

pytestmark = pytest.mark.django_db

PENDING = "/admin/policy/policyversion/pending-consent/"


def test_after_a_material_change_everyone_must_consent_again(version1, customers):
    for customer in customers:
        record_consent(customer, version1, Channel.IMPORT)
    assert not customers_without_consent().exists()
    version2 = publish(edited_articles(version1.articles, 3, body_ja="変更"), material=True)
    assert set(customers_without_consent()) == set(customers)
    record_consent(customers[0], version2, Channel.SHOP)
    assert set(customers_without_consent()) == set(customers[1:])


def test_a_minor_change_does_not_ask_for_consent_again(version1, customers):
    for customer in customers:
        record_consent(customer, version1, Channel.IMPORT)
    publish(edited_articles(version1.articles, 7, body_en="Typo fixed."), material=False)
    assert not customers_without_consent().exists()


def test_consent_keeps_the_content_hash_and_is_recorded(version1, customers):
    consent = record_consent(customers[0], version1, Channel.IMPORT)
    assert consent.content_hash == version1.content_hash
    entry = AuditEntry.objects.get(action="policy.consent")
    assert entry.customer_ids == [str(customers[0].pk)]
    assert entry.detail == {
        "version": 1,
        "channel": "import",
        "fields": ["channel", "consented_at", "content_hash", "customer", "version"],
    }
    assert not AuditEntry.objects.filter(seq__gt=entry.seq).exists()  # its one record


def test_consent_to_a_draft_is_refused(version1, customers, people):
    draft = version1.new_draft(people.alice)
    with pytest.raises(ValueError):
        record_consent(customers[0], draft, Channel.SHOP)
    assert not ConsentRecord.objects.exists()


def test_the_owner_sees_who_has_not_consented(client, people, version1, version2, customers):
    record_consent(customers[0], version2, Channel.SHOP)
    sign_in(client, people.alice)
    response = client.get(PENDING)
    assert response.status_code == 200
    body = response.content.decode()
    assert customers[1].short_id in body and customers[2].short_id in body
    assert customers[0].short_id not in body
    assert "テスト" not in body and "example.com" not in body
    entry = AuditEntry.objects.get(action="policy.consent_status")
    assert set(entry.customer_ids) == {str(customers[1].pk), str(customers[2].pk)}


@pytest.mark.parametrize("name", ["bob", "carol", "dave"])
def test_other_roles_cannot_see_the_consent_list(client, people, version2, customers, name):
    sign_in(client, getattr(people, name))
    assert client.get(PENDING).status_code == 403
    assert not AuditEntry.objects.filter(action="policy.consent_status").exists()


def test_anonymous_cannot_see_the_consent_list(client, version2):
    response = client.get(PENDING)
    assert response.status_code == 302 and "/admin/login/" in response.url


def make_link(client, people, customer):
    sign_in(client, people.alice)
    response = client.post(PENDING, {"customer": [str(customer.pk)]})
    assert response.status_code == 200
    client.logout()
    return re.search(r"http://testserver(/privacy/consent/[^/<]+/)", response.content.decode())[1]


def test_a_customer_consents_through_their_one_time_link(client, people, version2, customers):
    link = make_link(client, people, customers[1])
    assert customers[1].email not in link and str(customers[1].pk) not in link
    assert AuditEntry.objects.get(action="policy.consent_link").customer_ids == [
        str(customers[1].pk)
    ]
    response = client.get(link)
    assert response.status_code == 302 and response.url == "/privacy/consent/"
    page = client.get("/privacy/consent/")
    assert page.status_code == 200 and "この内容に同意します" in page.content.decode()
    assert "/privacy/compare/1/2/" in page.content.decode()
    assert client.post("/privacy/consent/").status_code == 200
    consent = ConsentRecord.objects.get()
    assert (consent.customer, consent.version, consent.channel) == (customers[1], version2, "web")
    assert consent.content_hash == version2.content_hash
    entry = AuditEntry.objects.get(action="policy.consent")
    assert entry.customer_ids == [str(customers[1].pk)] and entry.actor_username == ""
    assert customers[1] not in customers_without_consent()


def test_a_link_works_only_once(client, people, version2, customers):
    link = make_link(client, people, customers[0])
    client.get(link)
    client.post("/privacy/consent/")
    assert client.get(link).status_code == 404
    assert client.post("/privacy/consent/").status_code == 404
    assert ConsentRecord.objects.count() == 1
    assert AuditEntry.objects.filter(action="policy.consent").count() == 1


def test_an_expired_or_unknown_link_is_refused(client, people, version2, customers, clock):
    link = make_link(client, people, customers[0])
    assert client.get("/privacy/consent/not-a-real-token/").status_code == 404
    clock.advance((ConsentInvitation.LIFETIME + timedelta(minutes=1)).total_seconds())
    assert client.get(link).status_code == 404
    assert client.post("/privacy/consent/").status_code == 404
    assert not ConsentRecord.objects.exists()


def test_only_the_token_digest_is_stored(client, people, version2, customers):
    link = make_link(client, people, customers[0])
    token = link.rstrip("/").rsplit("/", 1)[1]
    invitation = ConsentInvitation.objects.get()
    assert token not in invitation.token_digest and len(invitation.token_digest) == 64


def test_the_public_page_offers_the_consent_step_after_a_material_change(client, version2):
    body = client.get("/privacy/").content.decode()
    assert 'id="consent"' in body and "/privacy/compare/1/2/" in body


def test_the_public_page_does_not_ask_consent_for_a_minor_change(client, version1):
    publish(edited_articles(version1.articles, 7, body_en="Typo fixed."), material=False)
    assert 'id="consent"' not in client.get("/privacy/").content.decode()


def test_the_owner_records_consent_given_in_the_shop(client, people, version2, customers):
    sign_in(client, people.alice)
    response = client.post(
        "/admin/policy/consentrecord/add/",
        {"customer": str(customers[2].pk), "version": str(version2.pk), "channel": "shop"},
    )
    assert response.status_code == 302
    consent = ConsentRecord.objects.get()
    assert consent.channel == "shop" and consent.recorded_by == people.alice
    assert AuditEntry.objects.get(action="policy.consent").actor_username == "alice"


def test_a_manager_cannot_record_consent(client, people, version2, customers):
    sign_in(client, people.bob)
    response = client.post(
        "/admin/policy/consentrecord/add/",
        {"customer": str(customers[2].pk), "version": str(version2.pk), "channel": "shop"},
    )
    assert response.status_code == 403
    assert not ConsentRecord.objects.exists()


def test_a_tampered_customer_id_makes_no_links_and_says_so(client, people, version2, customers):
    # Found by the form fuzz (tests/security): a non-UUID value used to be a server error.
    sign_in(client, people.alice)
    response = client.post(PENDING, {"customer": [str(customers[0].pk), "<script>1</script>"]})
    assert response.status_code == 200
    assert "一部を読み取れませんでした" in response.content.decode()
    assert not ConsentInvitation.objects.exists()
