"""Pressing 「通知を送る」 many times at once (50 parallel requests against a live server):
the incident's row lock lets one batch through, so every customer is told exactly once
and every notice is recorded once."""

from collections import Counter

from django.core import mail
from django.utils import timezone

from audit.models import AuditEntry
from incidents.models import Notice
from tests.customers.vault import make_customer
from tests.incidents.helpers import make_incident, ready_to_notify
from tests.parallel import PARALLEL, burst, signed_in_visitor, statuses

pytestmark = PARALLEL
BURST = 50
CUSTOMERS = 5


def test_fifty_parallel_presses_tell_each_customer_once(server_url, people):
    customers = [make_customer(email=f"mihon{n}@example.jp") for n in range(CUSTOMERS)]
    incident = make_incident(scope_fields=["email"], public_contact="お客様窓口")
    incident.scope_customer_ids = [str(c.pk) for c in customers]
    incident.scope_frozen_at = timezone.now()
    incident.save()
    previewed = {"previewed": ready_to_notify(incident)}
    alice = signed_in_visitor(people.alice, reauthenticated=True)
    url = f"{server_url}/admin/incidents/incident/{incident.pk}/notices/"

    answers = burst(BURST, lambda i: alice.post(url, previewed))

    assert statuses(answers) == {302: BURST}, statuses(answers)  # each back to the page
    recipients = Counter(address for message in mail.outbox for address in message.to)
    assert recipients == {f"mihon{n}@example.jp": 1 for n in range(CUSTOMERS)}
    assert all(
        len(message.to) == 1 and not message.cc and not message.bcc for message in mail.outbox
    )
    told = Counter(Notice.objects.filter(incident=incident).values_list("customer_id", flat=True))
    assert told == {c.pk: 1 for c in customers}
    recorded = Counter(
        customer
        for entry in AuditEntry.objects.filter(action="incident.notice")
        for customer in entry.customer_ids
    )
    assert recorded == {str(c.pk): 1 for c in customers}
