"""The incident pages: the owner works an incident step by step, the auditor reads it,
nobody else sees it; notices go one mail and one recipient each; the public notice page
holds no personal data."""

import pytest
from django.core import mail
from django.test import Client

from audit.models import AuditEntry
from incidents.models import Incident, Measure, Notice, ReportDraft
from tests.customers.vault import HANAKO, make_customer
from tests.incidents.helpers import make_incident, ready_to_notify

pytestmark = pytest.mark.django_db
LIST = "/admin/incidents/incident/"


def page(incident, step=""):
    return f"{LIST}{incident.pk}/{step + '/' if step else 'change/'}"


@pytest.fixture
def owner(client, people):
    client.force_login(people.alice)
    return client


@pytest.fixture
def recent_auth(monkeypatch):
    from accounts import reauth

    monkeypatch.setattr(reauth, "recently_reauthenticated", lambda request: True)


def test_the_owner_records_an_incident_and_the_ledger_keeps_it(owner):
    response = owner.post(
        f"{LIST}add/",
        {
            "title": "ノートパソコンの盗難",
            "discovered_at": "2026-12-01T10:00",
            "cause": "lost_computer",
            "certainty": "suspected",
            "what_happened": "出張中にノートパソコンが盗まれた。",
            "protection": "unknown",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    incident = Incident.objects.get()
    assert AuditEntry.objects.filter(action="incident.open", target_id=str(incident.pk)).exists()
    shown = owner.get(page(incident)).content.decode()
    assert "報告が必要かどうか" in shown and "速報" in shown
    assert AuditEntry.objects.filter(action="incident.view").exists()


def test_personal_data_in_the_description_is_refused(owner):
    response = owner.post(
        f"{LIST}add/",
        {
            "title": "誤送信",
            "discovered_at": "2026-12-01T10:00",
            "cause": "misdirected",
            "certainty": "confirmed",
            "what_happened": f"{HANAKO['email']} に送ってしまった",
            "protection": "readable",
        },
    )
    assert response.status_code == 200 and not Incident.objects.exists()
    assert "個人情報は書かないでください" in response.content.decode()


def test_the_scope_is_frozen_from_the_form(owner, test_reads):
    customers = [make_customer(email=f"mihon{n}@example.jp") for n in range(2)]
    incident = make_incident()
    response = owner.post(page(incident, "scope"), {"source": "all", "fields": ["name", "email"]})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert set(incident.scope_customer_ids) == {str(c.pk) for c in customers}
    assert incident.scope_fields == ["name", "email"]
    entry = AuditEntry.objects.get(action="incident.scope")
    assert entry.detail["people"] == 2 and entry.customer_ids == []


def test_a_scope_without_data_items_is_refused_and_changes_nothing(owner):
    incident = make_incident()
    response = owner.post(page(incident, "scope"), {"source": "all"})
    assert response.status_code == 200 and "項目を選んでください" in response.content.decode()
    incident.refresh_from_db()
    assert incident.scope_frozen_at is None


def test_report_drafts_are_prefilled_and_every_save_is_a_version(owner):
    incident = make_incident()
    form = owner.get(page(incident, "report")).content.decode()
    assert "配送用の顧客一覧を入れたUSBメモリを紛失した。" in form
    items = {"summary": "概要の第1版", "people": "0"}
    owner.post(page(incident, "report"), items)
    owner.post(page(incident, "report"), {**items, "summary": "概要の第2版"})
    assert list(ReportDraft.objects.values_list("version", flat=True).order_by("version")) == [1, 2]
    printed = owner.get(page(incident, "print") + "?v=1").content.decode()
    assert "概要の第1版" in printed and "本人の数" in printed
    assert "概要の第2版" in owner.get(page(incident, "print")).content.decode()


def test_notices_go_one_mail_one_recipient_each_and_resume(owner, recent_auth, monkeypatch):
    from incidents import services

    monkeypatch.setattr(services, "NOTICE_BATCH", 2)
    customers = [make_customer(email=f"mihon{n}@example.jp") for n in range(3)]
    nobody = make_customer(email="")
    incident = make_incident(scope_fields=["email"], public_contact="お客様窓口 0120-000-000")
    incident.scope_customer_ids = [str(c.pk) for c in (*customers, nobody)]
    from django.utils import timezone

    incident.scope_frozen_at = timezone.now()
    incident.save()
    previewed = {"previewed": ready_to_notify(incident)}
    owner.post(page(incident, "notices"), previewed)
    assert len(mail.outbox) == 2
    owner.post(page(incident, "notices"), previewed)
    owner.post(page(incident, "notices"), previewed)
    assert len(mail.outbox) == 3
    for message in mail.outbox:
        assert len(message.to) == 1 and not message.cc and not message.bcc
        assert "山田" not in message.body
    assert sorted(m.to[0] for m in mail.outbox) == [f"mihon{n}@example.jp" for n in range(3)]
    methods = dict(Notice.objects.values_list("customer_id", "method"))
    assert len(methods) == 4 and methods[nobody.pk] == "unreachable"
    read = AuditEntry.objects.filter(action="incident.notice")
    assert sorted(c for e in read for c in e.customer_ids) == sorted(
        str(c.pk) for c in (*customers, nobody)
    )


def test_sending_notices_asks_for_the_password_again(owner):
    incident = make_incident()
    response = owner.post(page(incident, "notices"))
    assert response.status_code == 302 and not mail.outbox
    assert "/admin/" in response["Location"]


def test_measures_are_ticked_with_who_and_when(owner):
    incident = make_incident(cause="outside_attack")
    owner.post(page(incident, "measure"), {"measure": "rotate_keys"})
    owner.post(page(incident, "measure"), {"measure": "not-a-measure"})
    assert list(Measure.objects.values_list("key", flat=True)) == ["rotate_keys"]
    assert AuditEntry.objects.filter(action="incident.measure").count() == 1
    assert "実施済み（alice" in owner.get(page(incident)).content.decode()


def test_the_auditor_reads_and_nobody_else_sees_it(client, people):
    incident = make_incident()
    client.force_login(people.dave)
    assert client.get(page(incident)).status_code == 200
    assert client.get(page(incident, "print")).status_code == 200
    assert client.get(page(incident, "scope")).status_code == 403
    assert client.post(page(incident, "measure"), {"measure": "police"}).status_code == 403
    for person in (people.bob, people.carol):
        client.force_login(person)
        assert client.get(page(incident)).status_code in (403, 404)
        assert client.get(LIST).status_code == 403


PUBLIC = {
    "public_title": "お客様情報の漏えいのおそれについて",
    "public_slug": "2026-12-info",
    "public_text": "一部のお客様の情報が漏えいしたおそれがあります。",
    "public_contact": "お客様窓口",
}


def test_the_public_notice_is_not_found_until_published_then_holds_only_what_was(
    owner, people, recent_auth
):
    make_customer()
    incident = make_incident(**PUBLIC)
    anyone = Client()
    assert anyone.get("/notice/2026-12-info/").status_code == 404  # saved is not published

    assert owner.post(page(incident, "publish")).status_code == 302

    body = anyone.get("/notice/2026-12-info/").content.decode()
    assert "漏えいしたおそれ" in body and "お客様窓口" in body
    assert "<title>お客様情報の漏えいのおそれについて</title>" in body
    assert "<h1>お客様情報の漏えいのおそれについて</h1>" in body
    assert incident.title not in body and incident.what_happened not in body
    for value in HANAKO.values():
        assert value not in body
    assert anyone.get("/notice/unknown/").status_code == 404
    incident.refresh_from_db()
    assert incident.published_at and incident.published_by_id == people.alice.pk
    entry = AuditEntry.objects.get(action="incident.publish")
    assert entry.actor_id == people.alice.pk and entry.detail == {
        "slug": "2026-12-info",
        "again": False,
    }


def test_an_edit_after_publishing_goes_public_only_when_published_again(owner, recent_auth):
    incident = make_incident(**PUBLIC)
    owner.post(page(incident, "publish"))
    incident.refresh_from_db()
    incident.public_text = "調査の結果、漏えいはありませんでした。"
    incident.save()

    assert "漏えいしたおそれ" in Client().get("/notice/2026-12-info/").content.decode()
    owner.post(page(incident, "publish"))
    assert "調査の結果" in Client().get("/notice/2026-12-info/").content.decode()
    assert AuditEntry.objects.filter(action="incident.publish").count() == 2


def test_publishing_asks_for_the_password_again_and_for_every_public_field(owner):
    incident = make_incident(**PUBLIC)
    response = owner.post(page(incident, "publish"))
    assert response.status_code == 302 and "reauth" in response["Location"]
    incident.refresh_from_db()
    assert incident.published_at is None

    untitled = make_incident(**{**PUBLIC, "public_slug": "other", "public_title": ""})
    preview = owner.get(page(untitled, "publish")).content.decode()
    assert "公表する件名" in preview.split('id="publish-missing"')[1]
    from incidents import services

    with pytest.raises(ValueError):
        services.publish_notice(untitled, request=owner.get(page(untitled)).wsgi_request)
    assert not AuditEntry.objects.filter(action="incident.publish").exists()


def test_the_page_says_whether_card_data_and_masked_only_looks_are_in_the_scope(owner, people):
    import datetime

    from django.utils import timezone

    from audit.actions import Action
    from audit.ledger import record

    seen, revealed = make_customer(email="mihon1@example.jp"), make_customer(email="m2@example.jp")
    start = timezone.now() - datetime.timedelta(minutes=1)
    record(Action.CUSTOMER_VIEW, actor=people.carol, target=seen, customers=[seen.pk])
    record(
        Action.CUSTOMER_REVEAL,
        actor=people.carol,
        target=revealed,
        customers=[revealed.pk],
        detail={"field": "card_last4", "reason": "問い合わせ"},
    )
    incident = make_incident(cause="insider")
    response = owner.post(
        page(incident, "scope"),
        {
            "source": "person",
            "person": people.carol.pk,
            "start": timezone.localtime(start).strftime("%Y-%m-%d %H:%M:%S"),
            "end": timezone.localtime(timezone.now() + datetime.timedelta(minutes=1)).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    shown = owner.get(page(incident)).content.decode()
    work = shown.split('id="incident-work"')[1][:1500]
    assert "カード情報を含みます" in work and "うち1人は、画面で伏せ字のまま" in work, work
