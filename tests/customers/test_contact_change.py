"""A customer's e-mail or phone changed at the shop (issue #22, finding 1): its own
ledger entry, the previous value kept sealed for the hold period, where the customer's
own requests are answered meanwhile, and the notice to the previous address."""

import pytest
from django.conf import settings
from django.core import mail

from audit.models import AuditEntry
from customers.models import Customer, PreviousContact
from customers.reading import address_on_file
from tests.customers.vault import HANAKO
from tests.factories import entries_after, ledger_mark

NEW_EMAIL = "hanako.new@example.com"


@pytest.fixture
def change(client, django_capture_on_commit_callbacks):
    def post(customer, **typed):
        data = {**dict.fromkeys(HANAKO, ""), **typed}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/admin/customers/customer/{customer.pk}/change/", data)

    return post


def answered_at(customer):
    entry = AuditEntry.objects.order_by("-seq").first()
    return address_on_file(Customer.objects.get(pk=customer.pk), entry)


def test_a_changed_email_is_kept_and_requests_go_to_the_previous_one(
    change, client, people, hanako, test_reads, clock
):
    client.force_login(people.carol)
    mark = ledger_mark()

    assert change(hanako, email=NEW_EMAIL).status_code == 302

    [entry] = entries_after(mark).filter(action="customer.contact_change")
    assert entry.detail == {"fields": ["email"]} and entry.actor_id == people.carol.pk
    kept = PreviousContact.objects.get(customer=hanako)
    assert (kept.field, kept.value, kept.changed_by_id) == (
        "email",
        HANAKO["email"],
        people.carol.pk,
    )
    [notice] = mail.outbox
    assert notice.to == [HANAKO["email"]] and NEW_EMAIL not in notice.body
    assert answered_at(hanako) == HANAKO["email"]

    clock.advance(settings.SHOPGUARD_CONTACT_CHANGE_HOLD_DAYS * 86400 + 60)
    assert answered_at(hanako) == NEW_EMAIL


def test_a_changed_phone_is_kept_and_told_at_the_email_on_file(
    change, client, people, hanako, test_reads
):
    client.force_login(people.carol)
    assert change(hanako, phone="090-0000-1111").status_code == 302
    assert PreviousContact.objects.get(customer=hanako).field == "phone"
    assert [m.to for m in mail.outbox] == [[HANAKO["email"]]]


def test_typing_the_same_email_again_is_no_contact_change(change, client, people, hanako):
    client.force_login(people.carol)
    mark = ledger_mark()
    assert change(hanako, email=HANAKO["email"]).status_code == 302
    assert not entries_after(mark).filter(action="customer.contact_change").exists()
    assert not PreviousContact.objects.exists() and mail.outbox == []


def test_erasing_the_customer_forgets_the_previous_contact(change, client, people, hanako):
    client.force_login(people.carol)
    change(hanako, email=NEW_EMAIL)
    Customer.objects.get(pk=hanako.pk).anonymise()
    assert not PreviousContact.objects.exists()
