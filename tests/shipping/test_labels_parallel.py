"""Label files under 50 parallel requests against a live server: the routine's daily cap
holds, and a file leaves once (issue #23's "one-time", the take-out ledger's count)."""

import urllib.error
import urllib.parse
import urllib.request

from audit.models import AuditEntry
from customers.models import Customer
from shipping import services
from shipping.models import LabelFile, Shipment
from tests.parallel import PARALLEL, TIMEOUT, Answer, burst, signed_in_visitor, statuses

pytestmark = PARALLEL
BURST = 50


def waiting_shipments(people, count):
    made = []
    for n in range(count):
        customer = Customer.objects.create(
            name=f"見本 {n}",
            postal_code="100-0001",
            address="東京都千代田区千代田1-1 見本ビル",
            phone="03-1234-5678",
            email=f"c{n}@example.com",
        )
        made.append(services.add_shipment(people.bob, customer, []))
    return made


def test_fifty_parallel_label_files_stay_within_the_daily_cap(server_url, people, routine):
    routine.daily_cap = 10
    routine.save(update_fields=["daily_cap"])
    shipments = waiting_shipments(people, BURST)
    carol = signed_in_visitor(people.carol)
    url = f"{server_url}/admin/shipping/make/"

    answers = burst(
        BURST,
        lambda i: carol.post(url, {"routine": routine.pk, "shipments": str(shipments[i].pk)}),
    )

    counted = statuses(answers)
    assert set(counted) == {302}, counted  # to the new file, or back with the refusal
    assert LabelFile.objects.count() == 10
    assert Shipment.objects.filter(state="labelled").count() == 10
    assert AuditEntry.objects.filter(action="label.make", outcome="ok").count() == 10
    assert AuditEntry.objects.filter(action="label.make", outcome="refused").count() == 40


def download(visitor, url):
    """POST the download form, keeping the body as bytes (Shift_JIS)."""
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": visitor.csrf}).encode()
    request = urllib.request.Request(url, data, headers={"Cookie": visitor.cookies})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return Answer(response.status, response.read(), None)
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read(), None)


def test_fifty_parallel_downloads_hand_out_the_file_once(server_url, people, routine):
    shipments = waiting_shipments(people, 3)
    label_file = services.make_label_file(people.carol, routine, [s.pk for s in shipments])
    carol = signed_in_visitor(people.carol, reauthenticated=True)
    url = f"{server_url}/admin/shipping/files/{label_file.pk}/download/"

    answers = burst(BURST, lambda i: download(carol, url))

    files = [
        a.body for a in answers if a.status == 200 and a.body.startswith("お客".encode("cp932"))
    ]
    assert len(files) == 1, statuses(answers)
    assert files[0].decode("cp932").count("\r\n") == 4  # the header and three shipments
    label_file.refresh_from_db()
    assert label_file.status == "downloaded"
    assert AuditEntry.objects.filter(action="label.download", outcome="ok").count() == 1
