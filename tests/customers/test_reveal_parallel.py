"""The staff reveal quota under real parallel requests (issue #11, finding 1)."""

from audit.models import Alert
from tests.customers.vault import HANAKO, entries, make_customer, reveal_url
from tests.parallel import PARALLEL, burst, signed_in_visitor, statuses

pytestmark = PARALLEL

BURST, QUOTA = 50, 20
REASON = {"reason_code": "inquiry", "note": ""}


def test_fifty_parallel_reveals_show_exactly_the_quota(server_url, people, settings):
    settings.SHOPGUARD_STAFF_REVEALS_PER_HOUR = QUOTA
    hanako = make_customer()
    carol = signed_in_visitor(people.carol)
    url = server_url + reveal_url(hanako, "phone")

    answers = burst(BURST, lambda i: carol.post(url, REASON))

    assert statuses(answers) == {200: QUOTA, 429: BURST - QUOTA}
    shown = [body for status, body, _ in answers if status == 200]
    assert all(HANAKO["phone"] in body for body in shown)
    assert not any(HANAKO["phone"] in body for status, body, _ in answers if status == 429)
    assert entries("customer.reveal", outcome="ok").count() == QUOTA
    assert entries("customer.reveal", outcome="refused").count() == BURST - QUOTA
    alert = Alert.objects.get(kind=Alert.REVEAL_QUOTA)
    assert alert.subject_id == people.carol.pk
