"""The public data-request limit under real parallel requests (issue #11, finding 3)."""

from audit.models import AuditEntry
from datarequests.models import DataRequest
from datarequests.views import REQUESTS_PER_HOUR
from tests.parallel import PARALLEL, Visitor, burst, statuses
from vault import limits

pytestmark = PARALLEL

BURST = 30
FORM = "/privacy/requests/"
REQUEST = {
    "kind": "disclose",
    "name": "並列 花子",
    "email": "parallel@example.com",
    "phone": "090-1234-5678",
    "details": "保有している情報を開示してください。",
}


def test_thirty_parallel_requests_from_one_address_accept_exactly_five(server_url):
    def send(i):
        return Visitor().post(server_url + FORM, {**REQUEST, "email": f"p{i}@example.com"})

    answers = burst(BURST, send)

    assert statuses(answers) == {302: REQUESTS_PER_HOUR, 429: BURST - REQUESTS_PER_HOUR}
    assert DataRequest.objects.count() == REQUESTS_PER_HOUR
    assert AuditEntry.objects.filter(action="policy.data_request").count() == REQUESTS_PER_HOUR


def test_thirty_parallel_requests_for_one_typed_address_accept_exactly_three(server_url):
    kinds = [kind for kind, _label in DataRequest.Kind.choices]

    def send(i):
        return Visitor().post(server_url + FORM, {**REQUEST, "kind": kinds[i % len(kinds)]})

    answers = burst(BURST, send)

    assert statuses(answers).get(302) == limits.DATA_REQUESTS_PER_ADDRESS.number
    assert DataRequest.objects.count() == limits.DATA_REQUESTS_PER_ADDRESS.number


def test_forged_forwarding_headers_are_ignored_without_a_trusted_proxy(server_url, settings):
    settings.SHOPGUARD_TRUSTED_PROXIES = []  # the default: no proxy in front

    def send(i):
        fields = {**REQUEST, "email": f"forged{i}@example.com"}
        forged = {"X-Forwarded-For": f"198.51.100.{i + 1}"}  # a new "client" every time
        return Visitor().post(server_url + FORM, fields, forged)

    answers = burst(BURST, send)

    assert statuses(answers) == {302: REQUESTS_PER_HOUR, 429: BURST - REQUESTS_PER_HOUR}
    entries = AuditEntry.objects.filter(action="policy.data_request")
    assert set(entries.values_list("ip", flat=True)) == {"127.0.0.1"}
