"""The house rules (所内ルール): the owner writes and publishes them, every person accepts
the version in force before customer pages open to them, again after a material change
and yearly; the acceptance is recorded with the version's hash and in the ledger."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from policy import rules
from policy.models import HouseRulesVersion, RulesAcceptance
from tests.factories import entries_after, ledger_mark, make_person
from tests.signing import reauthenticate, signed_in
from vault.roles import OWNER, STAFF

RULES_URL = "/admin/policy/rules/"
CUSTOMERS_URL = "/admin/customers/customer/"


@pytest.fixture
def newcomer(db):
    """A staff member who has not read the house rules yet."""
    return make_person("newcomer", STAFF, accepted_rules=False)


@pytest.fixture
def in_force(db):
    return HouseRulesVersion.objects.in_force()


def publish_rules(*, material, text="(7) 追加のルール"):
    """A new version of the rules, published as the owner's publish page does."""
    current = HouseRulesVersion.objects.in_force()
    draft = HouseRulesVersion.objects.create(
        body_ja=current.body_ja + "\n" + text,
        body_en=current.body_en + "\n(7) An added rule.",
        change_summary_ja="追加",
        material_change=material,
    )
    draft.publish(None)
    return draft


def test_the_seeded_rules_are_in_force_in_both_languages(in_force):
    assert in_force.number == 1
    assert "USBメモリ" in in_force.body_ja and "メール" in in_force.body_ja
    assert "USB sticks" in in_force.body_en
    assert len(in_force.content_hash) == 64


def test_a_person_who_has_not_accepted_meets_the_rules_instead_of_customers(newcomer, hanako):
    client = signed_in(Client(), newcomer)
    mark = ledger_mark()
    response = client.get(CUSTOMERS_URL)
    assert response.status_code == 403
    assert response.templates[0].name == "policy/house_rules.html"
    assert "USBメモリ" in response.content.decode()
    # Nothing about customers was read or recorded as shown.
    assert not entries_after(mark).filter(action="customer.view").exists()
    assert not [e for e in entries_after(mark) if e.customer_ids]


def test_accepting_records_the_version_and_its_hash_and_opens_the_customer_pages(
    newcomer, in_force
):
    client = signed_in(Client(), newcomer)
    mark = ledger_mark()
    response = client.post(
        RULES_URL, {"version": in_force.number, "confirm": "on", "next": CUSTOMERS_URL}
    )
    assert response.status_code == 302 and response.url == CUSTOMERS_URL
    acceptance = RulesAcceptance.objects.get(person=newcomer)
    assert acceptance.version == in_force
    assert acceptance.content_hash == in_force.content_hash
    entry = entries_after(mark).get(action="rules.accept")
    assert entry.actor_id == newcomer.pk
    assert entry.detail["content_hash"] == in_force.content_hash
    assert client.get(CUSTOMERS_URL).status_code == 200


def test_accepting_needs_the_box_ticked(newcomer, in_force):
    client = signed_in(Client(), newcomer)
    mark = ledger_mark()
    response = client.post(RULES_URL, {"version": in_force.number, "next": CUSTOMERS_URL})
    assert response.status_code == 400
    assert not RulesAcceptance.objects.filter(person=newcomer).exists()
    assert not entries_after(mark).filter(action="rules.accept").exists()
    assert client.get(CUSTOMERS_URL).status_code == 403


def test_accepting_a_version_that_is_no_longer_in_force_is_refused(newcomer, in_force):
    client = signed_in(Client(), newcomer)
    publish_rules(material=True)
    response = client.post(RULES_URL, {"version": in_force.number, "confirm": "on"})
    assert response.status_code == 409
    assert not RulesAcceptance.objects.filter(person=newcomer).exists()


def test_the_rules_page_does_not_lead_elsewhere_than_this_site(newcomer, in_force):
    client = signed_in(Client(), newcomer)
    response = client.post(
        RULES_URL, {"version": in_force.number, "confirm": "on", "next": "https://evil.example/"}
    )
    assert response.url == reverse("admin:index")


@pytest.mark.parametrize(
    "path",
    [
        CUSTOMERS_URL,
        "/admin/customers/customer/search/",
        "/admin/shipping/",
        "/admin/exports/",
        "/admin/exports/ledger/",
        "/admin/datarequests/datarequest/",
        "/admin/incidents/incident/",
    ],
)
def test_every_customer_page_is_closed_until_the_owner_accepts(db, path):
    owner = make_person("new-owner", OWNER, accepted_rules=False)
    response = signed_in(Client(), owner).get(path)
    assert response.status_code == 403
    assert "rules-accept-form" in response.content.decode()


@pytest.mark.parametrize(
    "path", ["/admin/", RULES_URL, "/admin/upkeep/", "/admin/policy/policyversion/"]
)
def test_pages_without_customer_data_stay_open(db, path):
    owner = make_person("new-owner", OWNER, accepted_rules=False)
    response = signed_in(Client(), owner).get(path)
    assert response.status_code == 200
    assert "rules-gate" not in response.content.decode()


def test_the_customer_pages_are_found_from_the_reading_path_not_a_list():
    assert {"customers", "shipping", "exports", "datarequests", "incidents"} <= (
        rules.apps_reading_customers()
    )
    assert not {"audit", "accounts", "policy", "upkeep"} & rules.apps_reading_customers()


def test_anonymous_people_and_outsiders_are_left_to_the_admin_gate(db):
    assert Client().get(CUSTOMERS_URL).status_code == 302
    outsider = make_person("outsider", None, accepted_rules=False)
    response = signed_in(Client(), outsider).get(CUSTOMERS_URL)
    assert response.status_code == 302  # the admin's own refusal: to sign in
    assert "rules-accept-form" not in response.content.decode()


def test_a_material_change_asks_everyone_again(people):
    client = signed_in(Client(), people.carol)
    assert client.get(CUSTOMERS_URL).status_code == 200
    publish_rules(material=False)
    assert client.get(CUSTOMERS_URL).status_code == 200
    assert not rules.acceptance_due(people.carol)
    publish_rules(material=True)
    assert client.get(CUSTOMERS_URL).status_code == 403
    assert rules.acceptance_due(people.carol)


def test_a_year_after_accepting_the_rules_are_read_again(people, clock, settings):
    client = signed_in(Client(), people.carol)
    clock.advance(timedelta(days=settings.RULES_ACCEPTANCE_DAYS - 1).total_seconds())
    assert not rules.acceptance_due(people.carol)
    clock.advance(timedelta(days=2).total_seconds())
    assert rules.acceptance_due(people.carol)
    signed_in(client, people.carol)  # the session's 12 hours are long gone
    assert client.get(CUSTOMERS_URL).status_code == 403


def test_people_without_acceptance_names_those_who_must_still_read(people, newcomer):
    waiting = list(rules.people_without_acceptance().values_list("username", flat=True))
    assert waiting == ["newcomer"]  # not erin (no role) nor frank (deactivated)
    publish_rules(material=True)
    waiting = set(rules.people_without_acceptance().values_list("username", flat=True))
    assert waiting == {"alice", "bob", "carol", "dave", "newcomer"}


def test_the_owners_home_page_shows_who_has_not_accepted(people, newcomer):
    response = signed_in(Client(), people.alice).get("/admin/")
    page = response.content.decode()
    assert "所内ルールへの同意" in page and "newcomer" in page


# The owner writes and publishes ---------------------------------------------------------


def test_only_the_owner_may_open_or_draft_the_rules(people):
    for person in (people.bob, people.carol, people.dave):
        client = signed_in(Client(), person)
        assert client.get("/admin/policy/houserulesversion/").status_code == 403
        response = client.post("/admin/policy/houserulesversion/new-draft/")
        assert response.status_code == 403
    assert HouseRulesVersion.objects.count() == 1


def test_the_owner_drafts_edits_and_publishes_a_version_with_its_ledger_entries(people):
    client = signed_in(Client(), people.alice)
    mark = ledger_mark()
    response = client.post("/admin/policy/houserulesversion/new-draft/")
    draft = HouseRulesVersion.objects.get(status="draft")
    assert response.url == f"/admin/policy/houserulesversion/{draft.pk}/change/"
    response = client.post(
        response.url,
        {
            "material_change": "on",
            "change_summary_ja": "持ち出しの禁止を追加",
            "body_ja": draft.body_ja + "\n(7) 顧客データを印刷しません。",
            "body_en": draft.body_en + "\n(7) Customer data is never printed.",
        },
    )
    assert response.status_code == 302
    publish_url = f"/admin/policy/houserulesversion/{draft.pk}/publish/"
    assert client.post(publish_url, {"confirm": "on"}).url.startswith("/admin/reauth/")
    reauthenticate(client)
    response = client.post(publish_url, {"confirm": "on"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.number == 2 and draft.is_published
    entry = entries_after(mark).get(action="rules.publish")
    assert entry.detail["content_hash"] == draft.content_hash
    assert entry.detail["material_change"] is True
    steps = [e.detail["step"] for e in entries_after(mark).filter(action="rules.edit")]
    assert steps == ["draft_created", "draft_changed"]
    # Everyone, the owner included, reads the new version before customer pages.
    assert client.get(CUSTOMERS_URL).status_code == 403


def test_publishing_the_same_text_again_is_refused(people):
    client = reauthenticate(signed_in(Client(), people.alice))
    client.post("/admin/policy/houserulesversion/new-draft/")
    draft = HouseRulesVersion.objects.get(status="draft")
    draft.change_summary_ja = "なし"
    draft.save()
    response = client.post(
        f"/admin/policy/houserulesversion/{draft.pk}/publish/", {"confirm": "on"}
    )
    assert response.status_code == 200
    assert "前の版と内容が同じです" in response.content.decode()
    draft.refresh_from_db()
    assert not draft.is_published
    assert not AuditEntry.objects.filter(action="rules.publish").exists()


def test_a_published_version_is_never_changed(in_force):
    from policy.models import PublishedVersionError

    in_force.body_ja = "変更"
    with pytest.raises(PublishedVersionError):
        in_force.save()
    with pytest.raises(PublishedVersionError):
        HouseRulesVersion.objects.filter(pk=in_force.pk).update(body_ja="x")


def test_a_published_version_is_shown_read_only_to_the_owner(people, in_force):
    client = signed_in(Client(), people.alice)
    response = client.get(f"/admin/policy/houserulesversion/{in_force.pk}/change/")
    assert response.status_code == 200
    assert "USBメモリ" in response.content.decode()
    assert client.post(f"/admin/policy/houserulesversion/{in_force.pk}/change/").status_code == 403


def test_the_demo_people_have_accepted_the_rules_in_force(db, monkeypatch):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from devtools.management.commands.seed_demo import DEMO_USERS

    monkeypatch.setenv("DEMO_PASSWORD", "demo password 12345")
    call_command("seed_demo", customers=0)
    demo = get_user_model().objects.filter(username__in=DEMO_USERS.values())
    assert demo.count() == len(DEMO_USERS)
    assert not [person for person in demo if rules.acceptance_due(person)]
    assert AuditEntry.objects.filter(action="rules.accept").count() == len(DEMO_USERS)
