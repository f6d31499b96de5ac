from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEntry
from policy.models import ThirdPartyProvision, shift_years
from policy.services import purge_provision_records, record_provision
from tests.signing import signed_in

pytestmark = pytest.mark.django_db

ADD = "/admin/policy/thirdpartyprovision/add/"


def provision(customers, recorded_on, name="提供先株式会社（例）"):
    record = ThirdPartyProvision.objects.create(
        recipient_name=name,
        recipient_address="東京都千代田区見本町1-1（例）",
        recipient_representative="代表 見本花子（例）",
        provided_on=recorded_on,
        data_items=["name", "email"],
        basis=ThirdPartyProvision.Basis.CONSENT,
        consent_evidence="2026年4月 同意書",
        recorded_on=recorded_on,
    )
    record.customers.set(customers)
    return record


def form_data(customers, **overrides):
    data = {
        "recipient_name": "提携先株式会社（例）",
        "recipient_address": "大阪府大阪市見本区1-1（例）",
        "recipient_representative": "代表取締役 例 次郎",
        "provided_on": "2026-05-01",
        "customers": ",".join(str(c.pk) for c in customers),
        "data_items": ["name", "address"],
        "basis": "consent",
        "consent_evidence": "ウェブ同意 2026-04-20",
    }
    data.update(overrides)
    return data


def test_records_older_than_three_years_are_purged(customers):
    today = date(2029, 6, 15)
    old = provision(customers, date(2026, 6, 14))
    last_day = provision(customers, date(2026, 6, 15))
    recent = provision(customers, date(2028, 1, 1))
    assert purge_provision_records(today) == 1
    assert set(ThirdPartyProvision.objects.all()) == {last_day, recent}
    assert not ThirdPartyProvision.objects.filter(pk=old.pk).exists()
    entry = AuditEntry.objects.get(action="policy.provision_purge")
    assert entry.detail == {"deleted": 1, "retention_years": 3}
    assert last_day.keep_until == today


def test_the_purge_command_uses_todays_date(customers, clock):
    kept = provision(customers, timezone.localdate())
    gone = provision(customers, shift_years(timezone.localdate(), -3) - timedelta(days=1))
    call_command("purge_provision_records", "--dry-run")
    assert ThirdPartyProvision.objects.count() == 2
    call_command("purge_provision_records")
    assert list(ThirdPartyProvision.objects.all()) == [kept]
    assert not ThirdPartyProvision.objects.filter(pk=gone.pk).exists()
    clock.advance((shift_years(kept.recorded_on, 3) - kept.recorded_on).days * 86400)
    call_command("purge_provision_records")
    assert ThirdPartyProvision.objects.count() == 1  # kept through its last day
    clock.advance(86400)
    call_command("purge_provision_records")
    assert not ThirdPartyProvision.objects.exists()
    assert AuditEntry.objects.filter(action="policy.provision_purge").count() == 3


def test_leap_day_records_are_kept_until_the_28th():
    assert shift_years(date(2028, 2, 29), 3) == date(2031, 2, 28)


def test_the_owner_records_a_provision_in_the_admin(client, people, customers):
    signed_in(client, people.alice)
    page = client.get(ADD)
    assert page.status_code == 200
    assert "業務委託先" in page.content.decode()  # the help text explains contractors
    response = client.post(ADD, form_data(customers[:2]))
    assert response.status_code == 302
    record = ThirdPartyProvision.objects.get()
    assert set(record.customers.all()) == set(customers[:2])
    assert record.data_items == ["name", "address"] and record.recorded_by == people.alice
    entry = AuditEntry.objects.get(action="policy.provision")
    assert set(entry.customer_ids) == {str(c.pk) for c in customers[:2]}
    assert entry.detail == {
        "step": "created",
        "basis": "consent",
        "items": ["name", "address"],
        "fields": [
            "basis", "consent_evidence", "customers", "data_items", "provided_on",
            "recipient_address", "recipient_name", "recipient_representative", "recorded_by",
            "recorded_on",
        ],
    }  # fmt: skip
    # One entry for the record and its customers, saved in two steps.
    provision = AuditEntry.objects.filter(target_type="policy.thirdpartyprovision")
    assert list(provision.values_list("action", flat=True)) == ["policy.provision"]


def test_consent_based_provision_needs_evidence(client, people, customers):
    signed_in(client, people.alice)
    response = client.post(ADD, form_data(customers, consent_evidence=""))
    assert response.status_code == 200
    assert "同意の証跡が必要です" in response.content.decode()
    assert not ThirdPartyProvision.objects.exists()
    assert not AuditEntry.objects.filter(action="policy.provision").exists()


@pytest.mark.parametrize("name", ["bob", "carol", "dave"])
def test_other_roles_cannot_record_provisions(client, people, customers, name):
    signed_in(client, getattr(people, name))
    assert client.post(ADD, form_data(customers)).status_code == 403
    assert not ThirdPartyProvision.objects.exists()


def test_anonymous_cannot_record_provisions(client, customers):
    response = client.post(ADD, form_data(customers))
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert not ThirdPartyProvision.objects.exists()


def test_other_apps_record_provisions_through_the_service(people, customers):
    record = record_provision(
        recipient_name="委託外の提供先（例）",
        recipient_address="住所（例）",
        recipient_representative="代表（例）",
        provided_on=date(2026, 5, 1),
        customers=customers,
        data_items=["email"],
        basis=ThirdPartyProvision.Basis.LAW,
        actor=people.alice,
    )
    assert record.customers.count() == 3 and record.recorded_by == people.alice
    assert AuditEntry.objects.get(action="policy.provision").actor_username == "alice"


def test_provision_records_and_the_register_name_data_items_alike():
    """One list of data items: a provision record offers every item but the card token
    (which goes only to the payment service, through the register), with the same words."""
    from policy.forms import OutsourceeForm, ThirdPartyProvisionForm

    provision = dict(ThirdPartyProvisionForm().fields["data_items"].choices)
    register = dict(OutsourceeForm().fields["data_items"].choices)
    assert "card_token" not in provision and "card_token" in register
    assert {key: register[key] for key in provision} == provision
