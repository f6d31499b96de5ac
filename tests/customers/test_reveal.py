"""Revealing one field of one customer: reason, record, quota, roles."""

import pytest

from customers.models import Customer
from tests.customers.vault import entries, make_purchase, reveal_url
from tests.signing import signed_in

REASON = {"reason_code": "inquiry", "note": ""}


def test_anonymous_people_are_sent_to_sign_in(client, hanako):
    response = client.post(reveal_url(hanako, "phone"), REASON)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not entries("customer.reveal").exists()


@pytest.mark.parametrize("person", ["dave", "erin"])
def test_the_auditor_and_outsiders_cannot_reveal(client, people, hanako, person):
    response = signed_in(client, getattr(people, person)).post(reveal_url(hanako, "phone"), REASON)
    assert response.status_code == 403
    assert "090-1234-5678" not in response.content.decode()
    assert not entries("customer.reveal").exists()


@pytest.mark.parametrize("person", ["alice", "bob", "carol"])
def test_it_reveals_one_field_with_a_reason_and_records_it(client, people, hanako, person):
    signed_in(client, getattr(people, person))
    response = client.post(reveal_url(hanako, "phone"), REASON)
    assert response.status_code == 200
    page = response.content.decode()
    assert "090-1234-5678" in page
    assert "hanako.yamada" not in page and "花子" not in page  # only the one field
    assert "no-store" in response["Cache-Control"]
    entry = entries("customer.reveal").get()
    assert entry.outcome == "ok" and entry.actor_username == person
    assert entry.customer_ids == [str(hanako.pk)] and entry.target_id == str(hanako.pk)
    assert entry.detail == {"field": "phone", "reason": "inquiry"}


def test_asking_for_the_reason_shows_nothing_and_records_nothing(client, people, hanako):
    response = signed_in(client, people.carol).get(reveal_url(hanako, "email"))
    assert response.status_code == 200
    assert "hanako.yamada" not in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert not entries("customer.reveal").exists()


def test_a_reason_is_required(client, people, hanako):
    response = signed_in(client, people.carol).post(reveal_url(hanako, "email"), {})
    assert response.status_code == 200
    assert "hanako.yamada" not in response.content.decode()
    assert not entries("customer.reveal").exists()


def test_other_needs_a_note_and_the_note_is_recorded(client, people, hanako):
    signed_in(client, people.carol)
    response = client.post(reveal_url(hanako, "address"), {"reason_code": "other", "note": ""})
    assert "西新宿" not in response.content.decode()
    note = {"reason_code": "other", "note": "定期便の送付先確認"}
    response = client.post(reveal_url(hanako, "address"), note)
    assert "西新宿" in response.content.decode()
    assert entries("customer.reveal").get().detail["reason"] == "other: 定期便の送付先確認"


@pytest.mark.parametrize(
    "note",
    [
        "hanako.yamada@example.com から連絡",
        "090-1234-5678 に折り返し",
        "０９０１２３４５６７８へ連絡",
        "山田様から問い合わせ",
        "ヤマダ ハナコ さんの件",
        "カード 4242 4242 4242 4242 の件",
        "x" * 201,
    ],
)
def test_it_refuses_notes_holding_personal_data(client, people, hanako, note):
    response = signed_in(client, people.carol).post(
        reveal_url(hanako, "email"), {"reason_code": "other", "note": note}
    )
    assert response.status_code == 200
    assert "hanako.yamada@example.com</p>" not in response.content.decode()
    assert not entries("customer.reveal").exists()


def test_an_unknown_field_is_not_found(client, people, hanako):
    response = signed_in(client, people.alice).post(reveal_url(hanako, "email_index"), REASON)
    assert response.status_code == 404
    assert not entries("customer.reveal").exists()


def test_gender_reveals_its_label(client, people, hanako):
    response = signed_in(client, people.bob).post(reveal_url(hanako, "gender"), REASON)
    assert "女性" in response.content.decode()


def test_the_value_is_never_in_a_url(client, people, hanako):
    response = signed_in(client, people.carol).post(reveal_url(hanako, "phone"), REASON)
    assert response.status_code == 200  # shown in this response, not after a redirect
    assert "090" not in response.request["PATH_INFO"]
    assert "090" not in response.request.get("QUERY_STRING", "")


# The staff quota ----------------------------------------------------------------------


def test_staff_are_refused_over_the_hourly_quota_and_it_is_recorded(
    client, people, hanako, settings, clock
):
    settings.SHOPGUARD_STAFF_REVEALS_PER_HOUR = 3
    signed_in(client, people.carol)
    for _ in range(3):
        assert client.post(reveal_url(hanako, "phone"), REASON).status_code == 200
        clock.advance(60)
    response = client.post(reveal_url(hanako, "email"), REASON)
    assert response.status_code == 429
    page = response.content.decode()
    assert "上限" in page and "hanako.yamada" not in page
    refusal = entries("customer.reveal", outcome="refused").get()
    assert refusal.detail == {"field": "email", "reason_code": "quota"}
    assert refusal.customer_ids == [str(hanako.pk)]
    assert entries("customer.reveal", outcome="ok").count() == 3
    # Hitting the quota raises the owner's alert, naming the refusal entry.
    from audit.models import Alert

    assert Alert.objects.get(kind=Alert.REVEAL_QUOTA).subject_id == people.carol.pk

    clock.advance(3600 - 2 * 60)  # the first reveal is now more than an hour old
    signed_in(client, people.carol)  # the idle session has expired meanwhile
    response = client.post(reveal_url(hanako, "email"), REASON)
    assert response.status_code == 200 and "hanako.yamada" in response.content.decode()


def test_the_quota_defaults_to_twenty_an_hour(client, people, hanako, clock):
    signed_in(client, people.carol)
    for _ in range(20):
        assert client.post(reveal_url(hanako, "phone"), REASON).status_code == 200
    assert client.post(reveal_url(hanako, "phone"), REASON).status_code == 429


def test_the_quota_counts_each_person_separately(client, people, hanako, settings):
    settings.SHOPGUARD_STAFF_REVEALS_PER_HOUR = 1
    people.frank.is_active = True
    people.frank.save()
    signed_in(client, people.carol)
    assert client.post(reveal_url(hanako, "phone"), REASON).status_code == 200
    signed_in(client, people.frank)
    assert client.post(reveal_url(hanako, "phone"), REASON).status_code == 200


def test_the_owner_and_manager_have_no_quota(client, people, hanako, settings):
    settings.SHOPGUARD_STAFF_REVEALS_PER_HOUR = 1
    for person in (people.alice, people.bob):
        signed_in(client, person)
        for _ in range(3):
            assert client.post(reveal_url(hanako, "phone"), REASON).status_code == 200


# Sensitive purchases ------------------------------------------------------------------


def product_reveal_url(purchase):
    return f"/admin/customers/purchase/{purchase.pk}/reveal/"


@pytest.mark.parametrize("person", ["alice", "bob"])
def test_revealing_a_sensitive_product_name_is_a_recorded_reveal(client, people, hanako, person):
    purchase = make_purchase(hanako, category="medicine", product="育毛剤プレミアム")
    response = signed_in(client, getattr(people, person)).post(product_reveal_url(purchase), REASON)
    assert response.status_code == 200
    assert "育毛剤プレミアム" in response.content.decode()
    entry = entries("customer.reveal").get()
    assert entry.target_type == "customers.purchase" and entry.target_id == str(purchase.pk)
    assert entry.customer_ids == [str(hanako.pk)]
    assert entry.detail == {"field": "product_name", "reason": "inquiry"}


def test_staff_cannot_reveal_a_sensitive_product_name(client, people, hanako):
    purchase = make_purchase(hanako, category="medicine", product="育毛剤プレミアム")
    response = signed_in(client, people.carol).post(product_reveal_url(purchase), REASON)
    assert response.status_code == 404
    assert not entries("customer.reveal").exists()


def test_the_auditor_cannot_reveal_a_product_name(client, people, hanako):
    purchase = make_purchase(hanako, category="medicine", product="育毛剤プレミアム")
    response = signed_in(client, people.dave).post(product_reveal_url(purchase), REASON)
    assert response.status_code == 403
    assert not entries("customer.reveal").exists()


def test_a_reveal_changes_nothing_in_the_customer(client, people, hanako):
    before = Customer.objects.filter(pk=hanako.pk).values().get()
    signed_in(client, people.bob).post(reveal_url(hanako, "name"), REASON)
    assert Customer.objects.filter(pk=hanako.pk).values().get() == before
