"""The one-time download under 50 parallel requests against a live server (issue #14):
exactly one archive leaves; every other request is refused with a page and recorded."""

import time
import urllib.error
import urllib.parse
import urllib.request

from django.test import Client

from audit.models import AuditEntry
from customers.models import Customer
from exports import services
from tests.parallel import PARALLEL, TIMEOUT, Answer, Visitor, burst, statuses
from tests.signing import reauthenticate, signed_in

pytestmark = PARALLEL
BURST = 50


def prepared_session(user, export):
    """bob's session, re-authenticated, with the archive password shown (kept, sealed)."""
    client = signed_in(Client(), user)
    reauthenticate(client, at=time.time() + 600)  # still recent when the burst runs
    assert client.post(f"/admin/exports/{export.pk}/prepare/").status_code == 200
    return client.session.session_key


def post_for_bytes(visitor, url):
    """Visitor.post, keeping the body as bytes (the archive is not text)."""
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": visitor.csrf}).encode()
    request = urllib.request.Request(url, data, headers={"Cookie": visitor.cookies})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return Answer(response.status, response.read(), None)
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read(), None)


def test_fifty_parallel_downloads_hand_out_exactly_one_archive(server_url, people):
    Customer.objects.create(name="山田 花子", email="hanako@example.com")
    export = services.request_export(
        people.bob, purpose="年末のお礼状の発送", recipient="internal", fields=["name"]
    )
    services.decide(export, people.alice, approve=True)
    bob = Visitor(prepared_session(people.bob, export))
    url = f"{server_url}/admin/exports/{export.pk}/download/"

    answers = burst(BURST, lambda i: post_for_bytes(bob, url))

    counted = statuses(answers)
    assert counted[200] == 1, counted
    assert set(counted) <= {200, 400, 409}, counted  # refused with a page, never an error
    refused = [a for a in answers if a.status != 200]
    assert all("できませんでした" in a.body.decode() for a in refused)
    [archive] = [a.body for a in answers if a.status == 200]
    assert archive.startswith(b"PK") and "山田".encode() not in archive
    export.refresh_from_db()
    assert export.status == "downloaded"
    assert AuditEntry.objects.filter(action="export.download", outcome="ok").count() == 1
