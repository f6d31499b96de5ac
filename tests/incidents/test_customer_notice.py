"""What each affected customer is mailed (issue #22, finding 7): its own customer-facing
text, previewed before sending, never the internal memo; and the triage never concludes
"no duty" before a scope exists."""

import pytest
from django.core import mail
from django.utils import timezone

from incidents import services
from incidents.models import Incident
from incidents.triage import triage
from tests.customers.vault import make_customer
from tests.incidents.helpers import (
    CUSTOMER_FACING,
    a_real_shop,
    make_incident,
    ready_to_notify,
    with_people,
)

pytestmark = pytest.mark.django_db
LIST = "/admin/incidents/incident/"


def notices_page(incident):
    return f"{LIST}{incident.pk}/notices/"


@pytest.fixture
def owner(client, people, monkeypatch):
    from accounts import reauth

    monkeypatch.setattr(reauth, "recently_reauthenticated", lambda request: True)
    client.force_login(people.alice)
    return client


def scoped_incident(customers, **values):
    incident = make_incident(scope_fields=["email", "address"], **values)
    incident.scope_customer_ids = [str(c.pk) for c in customers]
    incident.scope_frozen_at = timezone.now()
    incident.save()
    return incident


def test_the_mail_names_the_shop_apologises_and_says_what_to_do(db):
    incident = scoped_incident([], certainty=Incident.Certainty.SUSPECTED)
    ready_to_notify(incident)

    subject, body = services.notice_mail(incident)

    assert "株式会社みほん商店" in subject and "お詫び" in subject
    assert body.startswith("株式会社みほん商店をご利用いただいているお客様へ")
    assert "心よりお詫び申し上げます" in body and "漏えいしたおそれがあります" in body
    for value in CUSTOMER_FACING.values():
        assert value in body
    assert "メールアドレス" in body and "住所" in body  # which data
    assert incident.title not in subject + body  # the internal title and memo stay inside
    assert incident.what_happened not in body
    assert "お問い合わせ先：-" not in body


def test_the_preview_shows_exactly_the_mail_and_the_send_carries_its_fingerprint(owner):
    customer = make_customer(email="mihon@example.jp")
    incident = scoped_incident([customer])
    fingerprint = ready_to_notify(incident)
    subject, body = services.notice_mail(incident)

    preview = owner.get(notices_page(incident)).content.decode()

    assert f'<span id="notice-subject">{subject}</span>' in preview
    assert body.split("\n")[0] in preview and CUSTOMER_FACING["customer_advice"] in preview
    assert f'name="previewed" value="{fingerprint}"' in preview
    owner.post(notices_page(incident), {"previewed": fingerprint})
    assert [(m.subject, m.body, m.to) for m in mail.outbox] == [
        (subject, body, ["mihon@example.jp"])
    ]


def test_a_text_changed_after_the_preview_is_not_sent(owner):
    incident = scoped_incident([make_customer(email="mihon@example.jp")])
    fingerprint = ready_to_notify(incident)
    incident.customer_advice = "別の文面"
    incident.save()

    response = owner.post(notices_page(incident), {"previewed": fingerprint}, follow=True)

    assert not mail.outbox and not incident.notices.exists()
    assert "送りませんでした" in response.content.decode()
    owner.post(notices_page(incident), {})  # no preview at all
    assert not mail.outbox


@pytest.mark.parametrize("empty", ["public_contact", "customer_what_happened", "customer_advice"])
def test_nothing_is_sent_until_every_customer_facing_part_is_written(owner, empty):
    incident = scoped_incident([make_customer(email="mihon@example.jp")])
    ready_to_notify(incident)
    setattr(incident, empty, "")
    incident.save()
    label = str(Incident._meta.get_field(empty).verbose_name)

    preview = owner.get(notices_page(incident)).content.decode()
    owner.post(notices_page(incident), {"previewed": services.notice_mail(incident).fingerprint})

    assert label in preview.split('id="notice-missing"')[1] and 'name="previewed"' not in preview
    assert not mail.outbox


def test_the_seed_s_example_shop_is_not_a_shop_to_sign_a_notice_with(owner):
    incident = scoped_incident([make_customer(email="mihon@example.jp")])
    ready_to_notify(incident)
    a_real_shop("株式会社サンプル商店（例）")

    assert "事業者情報の事業者名" in " ".join(services.missing_for_notice(incident))
    owner.post(notices_page(incident), {"previewed": services.notice_mail(incident).fingerprint})
    assert not mail.outbox


# The triage before a scope exists ---------------------------------------------------


@pytest.mark.parametrize("people", [None, 0])
def test_without_a_scope_the_triage_cannot_decide_and_never_says_no_duty(db, people):
    incident = make_incident(protection=Incident.Protection.READABLE)
    if people is not None:
        incident = with_people(incident, people)  # frozen, but holding nobody

    result = triage(incident)

    assert not result.decided and not result.required
    assert "まだ判断できません" in str(result.summary)
    assert "報告義務には当たりません" not in str(result.summary)
    assert str(result.verdict) == "未判断"
    unknown = {r.key for r in result.rules if r.applies is None}
    assert unknown == {"sensitive", "people"}


def test_a_cause_that_already_requires_a_report_decides_without_the_scope(db):
    result = triage(make_incident(cause=Incident.Cause.OUTSIDE_ATTACK))
    assert result.required and result.decided and str(result.verdict) == "必要"


def test_with_a_scope_the_triage_can_say_no_duty(db):
    result = triage(with_people(make_incident(protection=Incident.Protection.READABLE), 3))
    assert result.decided and not result.required
    assert "報告義務には当たりません" in str(result.summary) and str(result.verdict) == "不要"


def test_the_incident_page_and_list_say_undecided_before_the_scope(owner):
    incident = make_incident(protection=Incident.Protection.READABLE)
    page = owner.get(f"{LIST}{incident.pk}/change/").content.decode()
    assert "まだ判断できません" in page and "報告義務には当たりません" not in page
    assert "未判断" in owner.get(LIST).content.decode()
