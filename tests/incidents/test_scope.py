"""An incident's scope built from the ledger and the purchases, never from guesses."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.actions import Action
from audit.ledger import record
from customers.models import Customer
from exports.models import ExportRequest
from incidents import scope
from tests.customers.vault import make_customer, make_purchase

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(db):
    return [make_customer(email=f"mihon{n}@example.jp", phone=f"090-0000-000{n}") for n in range(3)]


def test_scope_from_an_export_is_the_customers_its_download_carried(people, three):
    export = ExportRequest.objects.create(
        requested_by=people.bob, purpose="配送", recipient="contractor", fields=["name", "address"]
    )
    export.archive_sha256 = "ab" * 32
    export.save()
    record(
        Action.EXPORT_DOWNLOAD,
        actor=people.bob,
        target=export,
        customers=[c.pk for c in three[:2]],
        detail={"fields": ["name", "address"]},
    )
    built = scope.from_export(export.pk)
    assert set(built.customer_ids) == {str(c.pk) for c in three[:2]}
    assert built.fields == ["name", "address"] and not built.sensitive
    assert built.facts["archive_sha256"] == "ab" * 32


def test_an_export_never_downloaded_carried_nobody(people):
    export = ExportRequest.objects.create(
        requested_by=people.bob, purpose="配送", recipient="internal", fields=["name"]
    )
    with pytest.raises(ValidationError):
        scope.from_export(export.pk)


def test_scope_from_one_persons_looks_in_a_window(people, three):
    first, second, third = three
    start = timezone.now() - datetime.timedelta(minutes=1)
    record(Action.CUSTOMER_VIEW, actor=people.carol, target=first, customers=[first.pk])
    record(
        Action.CUSTOMER_REVEAL,
        actor=people.carol,
        target=second,
        customers=[second.pk],
        detail={"field": "phone", "reason": "配送の確認"},
    )
    record(Action.CUSTOMER_VIEW, actor=people.bob, target=third, customers=[third.pk])
    record(Action.CUSTOMER_LIST, actor=people.carol, customers=[third.pk])
    end = timezone.now() + datetime.timedelta(minutes=1)
    built = scope.from_person(people.carol.pk, start, end)
    assert set(built.customer_ids) == {str(first.pk), str(second.pk)}
    assert "phone" in built.fields and built.masked_only == 1
    before = scope.from_person(people.carol.pk, start - datetime.timedelta(hours=1), start)
    assert before.customer_ids == []


def test_scope_from_a_category_finds_its_buyers_and_flags_sensitive_data(three):
    first, second, _third = three
    make_purchase(first, category="medicine", product="見本の薬")
    make_purchase(second, category="food")
    built = scope.from_purchases(["name", "purchases"], category_ids=[_category("medicine")])
    assert built.customer_ids == [str(first.pk)] and built.sensitive
    food = scope.from_purchases(["name", "purchases"], category_ids=[_category("food")])
    assert food.customer_ids == [str(second.pk)] and not food.sensitive
    period = scope.from_purchases(
        ["name"], start=datetime.date(2026, 10, 1), end=datetime.date(2026, 11, 30)
    )
    assert set(period.customer_ids) == {str(first.pk), str(second.pk)}


def _category(code):
    from customers.models import Category

    return Category.objects.get(code=code).pk


def test_all_customers_and_a_manual_list(three):
    assert len(scope.everyone(["email"]).customer_ids) == Customer.objects.count() == 3
    typed = f"{three[0].pk}\n\n {three[1].pk} \n"
    assert scope.manual(typed, ["email"]).customer_ids == [str(three[0].pk), str(three[1].pk)]


@pytest.mark.parametrize(
    "typed", ["not-an-id", "00000000-0000-0000-0000-000000000000"], ids=["malformed", "unknown"]
)
def test_a_manual_list_with_a_bad_line_is_refused_whole(three, typed):
    with pytest.raises(ValidationError):
        scope.manual(f"{three[0].pk}\n{typed}", ["email"])


def test_unknown_data_items_are_refused(three):
    with pytest.raises(ValidationError):
        scope.everyone(["email", "shoe_size"])
