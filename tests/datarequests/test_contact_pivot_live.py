"""A staff member's pivot through a customer's own request, on a live server (issue #22,
finding 1): staff change a customer's e-mail to one they read, then file a disclosure
(or deletion) request in the customer's name from the public form. The identity code
and the outcome go to the address on file before the change, which is also told of the
change: the address the staff member chose gets nothing."""

import re

from django.core import mail

from audit.models import AuditEntry
from customers.models import Customer, PreviousContact
from datarequests.models import DataRequest
from tests.customers.vault import HANAKO, make_customer
from tests.parallel import PARALLEL, Visitor, burst, signed_in_visitor
from vault.blind_index import blind_index

pytestmark = PARALLEL

STAFF_MAILBOX = "carol.private@example.net"
FORM = "/privacy/requests/"
REQUEST = {
    "name": HANAKO["name"],
    "email": STAFF_MAILBOX,
    "phone": "",
    "details": "保有している情報を開示してください。",
}


def mails_to(address):
    return [message for message in mail.outbox if address in message.to]


def change_email(server_url, visitor, customer, address):
    data = {**dict.fromkeys(HANAKO, ""), "email": address}
    url = f"{server_url}/admin/customers/customer/{customer.pk}/change/"
    return visitor.post(url, data)


def test_staff_get_none_of_a_customers_data_through_a_request(server_url, people):
    hanako = make_customer()
    carol = signed_in_visitor(people.carol)

    answer = change_email(server_url, carol, hanako, STAFF_MAILBOX)

    assert answer.status == 302, answer.body[:200]
    assert Customer.objects.get(pk=hanako.pk).email_index == blind_index("email", STAFF_MAILBOX)
    change = AuditEntry.objects.get(action="customer.contact_change")
    assert change.actor_id == people.carol.pk and change.detail == {"fields": ["email"]}
    assert change.customer_ids == [str(hanako.pk)]
    assert PreviousContact.objects.get(customer=hanako).changed_by_id == people.carol.pk
    [notice] = mails_to(HANAKO["email"])  # the address before the change is told
    assert "変更" in notice.subject
    mail.outbox.clear()

    # A disclosure and a deletion request in the customer's name, sent at once.
    kinds = ["disclose", "delete"]
    answers = burst(
        len(kinds), lambda i: Visitor().post(server_url + FORM, {**REQUEST, "kind": kinds[i]})
    )
    assert [a.status for a in answers] == [302, 302]
    assert DataRequest.objects.filter(customer=hanako).count() == 2

    # Both identity codes went to the address on file before the change; none to staff.
    codes = mails_to(HANAKO["email"])
    assert len(codes) == 2 and all("ご本人確認コード" in m.body for m in codes)
    assert mails_to(STAFF_MAILBOX) == []

    # The real customer confirms the disclosure; a manager moves it along to done.
    disclose = DataRequest.objects.get(customer=hanako, kind="disclose")
    body = next(m.body for m in codes if disclose.reference in m.subject)
    code = re.search(r"ご本人確認コード: (\d{6})", body).group(1)
    page = re.search(r"http://[^\s]+/privacy/requests/received/[^\s]+/", body).group(0)
    assert Visitor().post(page, {"code": code}).status == 302
    bob = signed_in_visitor(people.bob)
    advance = f"{server_url}/admin/datarequests/datarequest/{disclose.pk}/advance/"
    for _step in ("in_progress", "done"):
        assert bob.post(advance, {}).status == 302
    assert DataRequest.objects.values_list("step", flat=True).get(pk=disclose.pk) == "done"

    outcome = [m for m in mails_to(HANAKO["email"]) if "/privacy/requests/disclosure/" in m.body]
    staff_got = len(mails_to(STAFF_MAILBOX))
    print(f"mails with a code or the customer's data reaching the staff member: {staff_got}")
    assert len(outcome) == 1
    assert staff_got == 0
