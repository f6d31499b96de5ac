import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEntry
from customers.models import ANONYMISED_NAME, Customer, Purchase
from shipping import labels, services
from shipping.models import Shipment
from tests.customers.vault import make_customer, make_purchase
from tests.incidents.helpers import make_incident
from upkeep import retention
from vault.reads import bulk_read

YEARS_AGO_6 = timezone.now() - datetime.timedelta(days=6 * 366)


@pytest.fixture
def shop(db):
    """An old customer (last purchase 6 years ago), a current one, and a purchase of the
    current one 8 years old (past the 7 years of the tax records)."""
    old = make_customer(email="old@example.jp", phone="090-1111-2222")
    Customer.objects.filter(pk=old.pk).update(created_at=YEARS_AGO_6)
    old_purchase = make_purchase(old)
    Purchase.objects.filter(pk=old_purchase.pk).update(purchased_on=YEARS_AGO_6.date())
    current = make_customer(email="current@example.jp")
    make_purchase(current)
    ancient = make_purchase(current)
    Purchase.objects.filter(pk=ancient.pk).update(purchased_on=datetime.date(2018, 1, 1))
    return {"old": old, "current": current, "ancient": ancient, "old_purchase": old_purchase}


def run(*args):
    out = io.StringIO()
    call_command("apply_retention", *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_counts_per_category_and_changes_nothing(shop):
    said = run("--dry-run")
    assert "customers: 1 due" in said
    assert "purchases: 1 due" in said
    assert Customer.objects.filter(anonymised_at__isnull=False).count() == 0
    assert Purchase.objects.filter(pk=shop["ancient"].pk).exists()
    assert not AuditEntry.objects.filter(action=Action.RETENTION_APPLIED).exists()


def test_it_anonymises_customers_past_retention_and_proves_it(shop):
    said = run()
    assert "customers: 1 done" in said
    assert "re-scan: no personal value of an anonymised customer remains" in said
    old = Customer.objects.get(pk=shop["old"].pk)
    assert old.anonymised_at is not None and old.email_index == "" and old.phone_index == ""
    with bulk_read("retention_check"):
        assert old.name == ANONYMISED_NAME and old.email == ""
    # Its purchase keeps amount, date and category for the accounts.
    kept = Purchase.objects.get(pk=shop["old_purchase"].pk)
    assert kept.amount == shop["old_purchase"].amount
    assert Customer.objects.get(pk=shop["current"].pk).anonymised_at is None
    entry = AuditEntry.objects.get(action=Action.CUSTOMER_ANONYMISE)
    assert entry.customer_ids == [str(old.pk)] and entry.detail["reason"] == "retention"
    totals = [e.detail for e in AuditEntry.objects.filter(action=Action.RETENTION_APPLIED)]
    assert {"category": "customers", "count": 1, "held": 0} in totals


def test_it_removes_purchases_past_the_tax_records_period(shop):
    run()
    assert not Purchase.objects.filter(pk=shop["ancient"].pk).exists()
    assert Purchase.objects.filter(customer=shop["current"]).count() == 1


def test_it_works_in_batches_each_recorded(shop, monkeypatch):
    for n in range(4):
        extra = make_customer(email=f"extra{n}@example.jp")
        Customer.objects.filter(pk=extra.pk).update(created_at=YEARS_AGO_6)
    monkeypatch.setattr(retention, "CUSTOMER_BATCH", 2)
    run()
    batches = AuditEntry.objects.filter(action=Action.CUSTOMER_ANONYMISE)
    assert sorted(len(e.customer_ids) for e in batches) == [1, 2, 2]
    assert Customer.objects.filter(anonymised_at__isnull=False).count() == 5


def test_an_open_incident_holds_its_customers_until_its_final_report(shop):
    incident = make_incident(
        scope_customer_ids=[str(shop["old"].pk)], scope_frozen_at=timezone.now()
    )
    assert "customers: 0 due" in run("--dry-run")
    run()
    assert Customer.objects.get(pk=shop["old"].pk).anonymised_at is None
    incident.final_reported_at = timezone.now()
    incident.save()
    run()
    assert Customer.objects.get(pk=shop["old"].pk).anonymised_at is not None


def test_an_incident_without_a_fixed_scope_holds_everyone(shop):
    make_incident()
    said = run("--dry-run")
    assert "customers: 0 due" in said and "purchases: 0 due" in said
    assert "holds every customer" in said


def test_the_re_scan_finds_a_value_left_behind(shop):
    run()
    old = Customer.objects.get(pk=shop["old"].pk)
    with bulk_read("save"):
        old.email = "left@example.jp"
        old.save()
    leftover = retention.rescan()
    assert not leftover.clean and leftover.sealed_values == 1 and leftover.indexes == 1


GIFT = labels.Recipient("贈答 先子", "150-0001", "東京都渋谷区神宮前9-9-9", "090-9999-0001")


def old_shipments(shop):
    """The old customer's gift that went out (with a tracking number) and a box that
    never went out."""
    gift = services.add_shipment(None, shop["old"], [shop["old_purchase"]], recipient=GIFT)
    Shipment.objects.filter(pk=gift.pk).update(
        state=Shipment.State.SHIPPED, tracking_number="4455-6677-8899"
    )
    waiting = services.add_shipment(None, shop["old"])
    current = services.add_shipment(None, shop["current"], recipient=GIFT)
    return gift, waiting, current


def test_an_anonymised_customer_s_shipments_lose_recipients_and_tracking_numbers(shop):
    gift, waiting, current = old_shipments(shop)

    said = run()

    assert "re-scan: no personal value of an anonymised customer remains" in said
    gift = Shipment.objects.get(pk=gift.pk)
    with bulk_read("retention_check"):
        assert [getattr(gift, name) for name in services.PERSONAL_SHIPMENT_FIELDS] == [""] * 5
        # The current customer's gift is untouched.
        assert Shipment.objects.get(pk=current.pk).recipient_name == GIFT.name
    # What went out stays for the accounts (reference, state, purchases), without who got it.
    assert gift.state == Shipment.State.SHIPPED
    assert list(gift.purchases.values_list("pk", flat=True)) == [shop["old_purchase"].pk]
    assert not Shipment.objects.filter(pk=waiting.pk).exists()  # nowhere to send it now
    assert retention.rescan().clean


def test_the_re_scan_finds_a_shipment_left_behind(shop):
    gift, _waiting, _current = old_shipments(shop)
    run()
    gift = Shipment.objects.get(pk=gift.pk)
    gift.recipient_address = GIFT.address
    gift.save()
    services.add_shipment(None, Customer.objects.get(pk=shop["old"].pk))

    leftover = retention.rescan()

    assert not leftover.clean and leftover.shipments == 2
    assert (leftover.sealed_values, leftover.indexes, leftover.product_names) == (0, 0, 0)
    said = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("apply_retention", stdout=io.StringIO(), stderr=said)
    assert "2 shipments" in said.getvalue()


def test_a_batch_commits_once_it_has_worked_its_time(shop, monkeypatch):
    """However slow the machine, a batch holds the write lock about BATCH_SECONDS."""
    for n in range(3):
        extra = make_customer(email=f"slow{n}@example.jp")
        Customer.objects.filter(pk=extra.pk).update(created_at=YEARS_AGO_6)
    monkeypatch.setattr(retention, "BATCH_SECONDS", 0)  # every customer is "slow"
    run()
    batches = AuditEntry.objects.filter(action=Action.CUSTOMER_ANONYMISE)
    assert [len(e.customer_ids) for e in batches] == [1, 1, 1, 1]
    assert Customer.objects.filter(anonymised_at__isnull=True).count() == 1  # the current one


def test_a_batch_ends_before_one_more_customer_would_pass_its_time(shop, monkeypatch):
    """The batch's own clock: each customer "takes" 0.1 s; with 0.25 s to hold the write
    lock, a batch stops after two (a third, as slow, would end at 0.3 s)."""
    for n in range(4):
        extra = make_customer(email=f"timed{n}@example.jp")
        Customer.objects.filter(pk=extra.pk).update(created_at=YEARS_AGO_6)
    now = [0.0]
    monkeypatch.setattr(retention, "monotonic", lambda: now[0])
    anonymise = Customer.anonymise

    def slow_anonymise(customer):
        anonymise(customer)
        now[0] += 0.1

    monkeypatch.setattr(Customer, "anonymise", slow_anonymise)
    monkeypatch.setattr(retention, "BATCH_SECONDS", 0.25)
    held = []
    retention.apply(on_batch=lambda category, seconds: held.append((category, seconds)))
    batches = AuditEntry.objects.filter(action=Action.CUSTOMER_ANONYMISE).order_by("seq")
    assert [len(e.customer_ids) for e in batches] == [2, 2, 1]
    customer_batches = [seconds for category, seconds in held if category == "customers"]
    assert customer_batches == pytest.approx([0.2, 0.2, 0.1])
    assert Customer.objects.filter(anonymised_at__isnull=True).count() == 1  # the current one
