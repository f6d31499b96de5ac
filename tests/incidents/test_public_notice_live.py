"""The public incident notice and the customers' mail against a live server (issue #22,
finding 7): 404 until an explicit, re-authenticated, recorded publish; the public title,
never the internal one; the mail sent only as previewed, in the customers' own words."""

import re

from django.core import mail

from audit.models import AuditEntry
from tests.customers.vault import make_customer
from tests.incidents.helpers import CUSTOMER_FACING, make_incident, ready_to_notify
from tests.parallel import PARALLEL, Visitor, burst, signed_in_visitor, statuses

pytestmark = PARALLEL
INTERNAL_TITLE = "倉庫PCの持ち出し疑い（社内調査中・担当 山本）"
PUBLIC = {
    "public_title": "お客様情報の漏えいのおそれについてのお詫び",
    "public_slug": "2026-12-notice",
    "public_text": "一部のお客様の情報が漏えいしたおそれがあります。",
    "public_contact": "お客様窓口 0120-000-000",
}


def test_the_notice_is_not_found_until_published_and_then_shows_the_public_title(
    server_url, people
):
    incident = make_incident(title=INTERNAL_TITLE, **PUBLIC)
    notice = f"{server_url}/notice/2026-12-notice/"
    publish = f"{server_url}/admin/incidents/incident/{incident.pk}/publish/"

    assert Visitor().get(notice).status == 404  # saved with a slug is not published
    not_recent = signed_in_visitor(people.alice).post(publish, {})
    assert not_recent.status == 302 and "reauth" in not_recent.location
    assert Visitor().get(notice).status == 404

    alice = signed_in_visitor(people.alice, reauthenticated=True)
    assert alice.post(publish, {}).status == 302
    answer = Visitor().get(notice)

    assert answer.status == 200
    title = re.search(r"<title>(.*?)</title>", answer.body, re.S).group(1).strip()
    assert title == PUBLIC["public_title"]
    assert "<h1>お客様情報の漏えいのおそれについてのお詫び</h1>" in answer.body
    assert INTERNAL_TITLE not in answer.body and incident.what_happened not in answer.body
    [entry] = AuditEntry.objects.filter(action="incident.publish")
    assert entry.actor_id == people.alice.pk and entry.target_id == str(incident.pk)


def test_customers_get_the_previewed_customer_facing_mail_and_nothing_else(server_url, people):
    customers = [make_customer(email=f"mihon{n}@example.jp") for n in range(3)]
    incident = make_incident(title=INTERNAL_TITLE, scope_fields=["email"])
    incident.scope_customer_ids = [str(c.pk) for c in customers]
    incident.scope_frozen_at = incident.discovered_at
    incident.save()
    ready_to_notify(incident)
    alice = signed_in_visitor(people.alice, reauthenticated=True)
    url = f"{server_url}/admin/incidents/incident/{incident.pk}/notices/"

    # Pressed without the preview (or with a stale one): nothing leaves.
    answers = burst(10, lambda i: alice.post(url, {"previewed": "0" * i}))
    assert statuses(answers) == {302: 10} and not mail.outbox

    preview = alice.get(url).body
    fingerprint = re.search(r'name="previewed" value="([0-9a-f]{64})"', preview).group(1)
    assert alice.post(url, {"previewed": fingerprint}).status == 302

    assert sorted(m.to[0] for m in mail.outbox) == [f"mihon{n}@example.jp" for n in range(3)]
    for message in mail.outbox:
        assert "株式会社みほん商店" in message.subject and "お詫び" in message.subject
        assert "心よりお詫び申し上げます" in message.body
        assert CUSTOMER_FACING["public_contact"] in message.body
        assert CUSTOMER_FACING["customer_advice"] in message.body
        assert INTERNAL_TITLE not in message.body and incident.what_happened not in message.body
        assert message.body.split("\n")[0] in preview  # what was previewed is what went
