"""The outsourcee register (委託先・提供先の登録簿): the owner keeps it, the policy's public
statement of entrusted parties, foreign countries and ShopGuard's own measures is
generated from it in both languages, a change to it prompts a new policy version, and
the label routines name their carrier's entry."""

from datetime import date

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from policy import register
from policy.models import Outsourcee, PolicyVersion
from shipping import services as shipping
from tests.factories import entries_after, ledger_mark
from tests.signing import signed_in

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/policy/outsourcee/add/"
LIST_URL = "/admin/policy/outsourcee/"


def entry_data(**changes):
    data = {
        "name_ja": "見本メール配信社",
        "name_en": "Mihon Mail Inc.",
        "service": "mail",
        "work_ja": "お知らせメールの配信",
        "work_en": "sending our mail",
        "data_items": ["name", "email"],
        "basis": "entrustment",
        "country": "US",
        "terms_checked_on": "2026-11-30",
        "carrier_code": "",
        "in_use": "on",
    }
    data.update(changes)
    return data


def make_entry(in_use=True, **changes):
    fields = {
        key: value
        for key, value in entry_data(**changes).items()
        if key not in ("in_use", "terms_checked_on")
    }
    return Outsourcee.objects.create(terms_checked_on=date(2026, 11, 30), in_use=in_use, **fields)


def test_the_owner_adds_an_entry_and_it_is_recorded(people):
    client = signed_in(Client(), people.alice)
    mark = ledger_mark()
    response = client.post(ADD_URL, entry_data())
    assert response.status_code == 302
    entry = Outsourcee.objects.get()
    assert entry.data_items == ["name", "email"] and entry.country == "US"
    created = entries_after(mark).get(action="model.create", target_type="policy.outsourcee")
    assert "name_ja" in created.detail["fields"]


@pytest.mark.parametrize("name", ["bob", "carol", "dave"])
def test_only_the_owner_keeps_the_register(people, name):
    client = signed_in(Client(), getattr(people, name))
    assert client.get(LIST_URL).status_code == 403
    assert client.post(ADD_URL, entry_data()).status_code == 403
    assert not Outsourcee.objects.exists()


def test_an_entry_is_never_deleted(people):
    entry = make_entry()
    client = signed_in(Client(), people.alice)
    response = client.post(f"{LIST_URL}{entry.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Outsourcee.objects.filter(pk=entry.pk).exists()


def test_the_policy_states_the_register_and_its_foreign_countries_in_both_languages(client):
    make_entry()
    make_entry(name_ja="使わなくなった会社", name_en="Former Co.", country="SG", in_use=False)
    page = client.get("/privacy/").content.decode()
    assert 'id="entrusted-parties"' in page
    assert "見本メール配信社" in page and "お知らせメールの配信" in page
    assert "氏名、メールアドレス" in page
    assert "次の外国にある事業者に個人データを預けています: アメリカ合衆国" in page
    assert "使わなくなった会社" not in page and "シンガポール" not in page
    english = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Mihon Mail Inc." in english and "sending our mail" in english
    assert "the United States" in english


def test_without_foreign_entries_the_policy_says_none_go_abroad(client):
    make_entry(country="JP")
    page = client.get("/privacy/").content.decode()
    assert "外国にある事業者に預けることはありません" in page


def test_the_policy_lists_shopguards_own_measures_from_the_settings(client, settings):
    settings.SHOPGUARD_REQUIRE_2FA = True
    page = client.get("/privacy/").content.decode()
    assert 'id="own-measures"' in page and "二要素認証が必要です" in page
    settings.SHOPGUARD_REQUIRE_2FA = False
    assert "二要素認証が必要です" not in client.get("/privacy/").content.decode()


def test_a_register_change_prompts_a_new_policy_version(people, version1):
    assert not register.changed_since_policy()
    make_entry()
    assert register.changed_since_policy()
    client = signed_in(Client(), people.alice, reauthenticated=True)
    assert 'id="register-changed"' in client.get(LIST_URL).content.decode()
    draft = version1.new_draft(people.alice)
    draft.articles[6]["body_ja"] += "\n登録簿を反映しました。"
    draft.change_summary_ja = "委託先を追加"
    draft.save()
    url = f"/admin/policy/policyversion/{draft.pk}/publish/"
    page = client.get(url).content.decode()
    assert "委託先・提供先の登録簿が、前の版の公開のあとに変わっています" in page
    data = {"effective_date": timezone.localdate().isoformat(), "confirm": "on"}
    assert client.post(url, data).status_code == 200  # material, or say it is not
    assert PolicyVersion.objects.get(pk=draft.pk).status == "draft"
    draft.material_change = True
    draft.save()
    assert client.post(url, data).status_code == 302
    assert not register.changed_since_policy()
    entry = AuditEntry.objects.get(action="policy.publish")
    assert entry.detail["material_change"] is True


def test_unchecked_entries_are_named_for_the_owner(people):
    make_entry()
    Outsourcee.objects.create(
        name_ja="未確認の会社", name_en="Unchecked Co.", service="other", basis="entrustment"
    )
    assert [e.name_ja for e in register.unchecked_entries()] == ["未確認の会社"]
    page = signed_in(Client(), people.alice).get(LIST_URL).content.decode()
    assert 'id="register-unchecked"' in page


def approve(people, carrier="yamato_b2"):
    return shipping.approve_routine(
        people.alice,
        carrier=carrier,
        daily_cap=10,
        descriptions={},
        sender_name="見本商店",
        sender_postal_code="100-0001",
        sender_address="東京都千代田区千代田1-1",
        sender_phone="03-1234-5678",
    )


def test_a_label_routine_names_its_carriers_register_entry(people):
    kept = make_entry(
        name_ja="ヤマト運輸株式会社（本社契約）",
        service="carrier",
        country="JP",
        carrier_code="yamato_b2",
    )
    routine = approve(people)
    assert routine.outsourcee == kept
    # A carrier not yet in the register is added to it, its terms still to be checked.
    other = approve(people, "sagawa_ehiden")
    assert other.outsourcee.name_ja == "佐川急便株式会社"
    assert other.outsourcee.terms_checked_on is None
    assert other.outsourcee in register.unchecked_entries()
    # Its last routine ended, the carrier is no longer in use.
    shipping.end_routine(people.alice, other)
    other.outsourcee.refresh_from_db()
    assert not other.outsourcee.in_use


def test_the_demo_shop_has_a_register_with_a_foreign_service(monkeypatch, client):
    from django.core.management import call_command

    monkeypatch.setenv("DEMO_PASSWORD", "demo password 12345")
    call_command("seed_demo", customers=0)
    kinds = set(register.entries().values_list("service", flat=True))
    assert kinds == {"hosting", "payment", "carrier", "mail", "platform"}
    assert "アメリカ合衆国" in client.get("/privacy/").content.decode()
