"""One owner as their own second check, on a live server (issue #22, finding 4): the
owner creates a second owner account and approves their own export with it. A new owner
approves nothing for the cooling-off period, every other owner is told and sees the new
owner on the home page, and after the period an approval by the person the requester
made owner is flagged self-approved (自己承認)."""

import urllib.request

from django.conf import settings
from django.core import mail

from audit.models import AuditEntry
from exports.models import ExportRequest
from tests.factories import accept_house_rules, make_person
from tests.parallel import PARALLEL, TIMEOUT, burst, signed_in_visitor, statuses
from vault.roles import OWNER

pytestmark = PARALLEL

EXPORT = {
    "purpose": "年末のお礼状の発送",
    "recipient": "internal",
    "recipient_name": "",
    "fields": "name",
    "scope": "all",
    "encoding": "utf-8-sig",
}
BURST = 10


def page(url, visitor):
    request = urllib.request.Request(url, headers={"Cookie": visitor.cookies})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 (127.0.0.1)
        return response.read().decode()


def request_export(server_url, alice):
    before = set(ExportRequest.objects.values_list("pk", flat=True))
    assert alice.post(f"{server_url}/admin/exports/new/", EXPORT).status == 302
    return ExportRequest.objects.exclude(pk__in=before).get()


def test_a_new_owner_approves_nothing_until_the_cooling_off_ends(server_url, people, clock):
    people.alice.email = "alice@example.com"
    people.alice.save(update_fields=["email"])
    olivia = make_person("olivia", OWNER)
    olivia.email = "olivia@example.com"
    olivia.save(update_fields=["email"])
    alice = signed_in_visitor(people.alice, reauthenticated=True)
    new_owner = {"username": "mallory", "email": "mallory@example.com"}
    answer = alice.post(f"{server_url}/admin/auth/user/add/", {**new_owner, "role": OWNER})
    assert answer.status == 302
    mallory = people.alice.__class__.objects.get(username="mallory")
    # As at mallory's first sign-in: the house rules accepted (when the suite's database
    # still holds the migrations' rules, as for the worker's first live test, the gate
    # would otherwise answer before the cooling-off could).
    accept_house_rules(mallory)
    first = request_export(server_url, alice)

    # The second account tries to approve the first one's export, 10 times at once.
    approver = signed_in_visitor(mallory, reauthenticated=True)
    decide = f"{server_url}/admin/exports/{first.pk}/decide/"
    answers = burst(BURST, lambda i: approver.post(decide, {"decision": "approve"}))

    approved = ExportRequest.objects.filter(pk=first.pk, status="approved").count()
    print(f"approvals by a new owner during the cooling-off: {approved} of {BURST}")
    assert approved == 0
    assert set(statuses(answers)) == {409}  # refused, with the reason on the page
    assert ExportRequest.objects.get(pk=first.pk).status == "pending"
    refused = AuditEntry.objects.filter(action="export.approve", outcome="refused")
    assert refused.count() == BURST
    assert {e.detail.get("reason") for e in refused} == {"cooling_off"}
    # Every other owner was told, and sees the new owner on the home page.
    told = [m for m in mail.outbox if "olivia@example.com" in m.to and "mallory" in m.body]
    assert told
    home = page(f"{server_url}/admin/", signed_in_visitor(olivia))
    assert "新しいオーナー: mallory" in home

    # After the period the approval goes through, flagged: alice made mallory owner.
    clock.advance(settings.SHOPGUARD_NEW_OWNER_COOLING_OFF_DAYS * 86400 + 60)
    alice = signed_in_visitor(people.alice, reauthenticated=True)
    second = request_export(server_url, alice)
    approver = signed_in_visitor(mallory, reauthenticated=True)
    decide = f"{server_url}/admin/exports/{second.pk}/decide/"
    assert approver.post(decide, {"decision": "approve"}).status == 302
    second.refresh_from_db()
    assert second.status == "approved" and second.self_approved
    entry = AuditEntry.objects.get(action="export.approve", outcome="ok")
    assert entry.detail["appointed_by_requester"] is True and entry.detail["self_approved"]
    assert "新しいオーナー" not in page(f"{server_url}/admin/", signed_in_visitor(olivia))
