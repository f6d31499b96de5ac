"""Card numbers never enter ShopGuard: every text field, every entry path I own."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from customers.models import Category, Customer, Purchase
from customers.validators import CARD_NUMBER_MESSAGE, contains_card_number
from tests.customers.vault import CHANGELIST, HANAKO, PURCHASES, change_url, make_customer
from tests.signing import signed_in

# The tests check stored values themselves; requests still start outside any scope.
pytestmark = pytest.mark.usefixtures("test_reads")

CARD_NUMBERS = {
    "plain 16": "4242424242424242",
    "spaces": "4242 4242 4242 4242",
    "dashes": "4242-4242-4242-4242",
    "full width": "４２４２４２４２４２４２４２４２",
    "full width with spaces": "４２４２　４２４２　４２４２　４２４２",
    "amex 15": "3782 822463 10005",
    "13 digits": "4222222222222",
    "19 digits": "6011 0009 9013 9424 123",
    "inside text": "カード番号は4111-1111-1111-1111です",
}
TEXT_FIELDS = ["name", "name_kana", "address", "email", "card_token", "card_brand"]
MESSAGE_START = str(CARD_NUMBER_MESSAGE)[:20]


def test_every_sample_looks_like_a_card_number():
    assert all(contains_card_number(number) for number in CARD_NUMBERS.values())


@pytest.mark.parametrize("number", CARD_NUMBERS.values(), ids=CARD_NUMBERS.keys())
@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_full_clean_refuses_card_numbers_in_every_text_field(db, field, number):
    customer = Customer(**{**HANAKO, field: number})
    with pytest.raises(ValidationError) as error:
        customer.full_clean()
    assert field in error.value.message_dict
    assert any(MESSAGE_START in message for message in error.value.message_dict[field])


@pytest.mark.parametrize("number", CARD_NUMBERS.values(), ids=CARD_NUMBERS.keys())
def test_save_refuses_card_numbers_even_without_full_clean(db, number):
    with pytest.raises(ValidationError):
        Customer.objects.create(**{**HANAKO, "address": number})
    assert not Customer.objects.exists()


@pytest.mark.parametrize("number", CARD_NUMBERS.values(), ids=CARD_NUMBERS.keys())
def test_purchases_refuse_card_numbers_in_the_product_name(db, number):
    purchase = Purchase(
        customer=make_customer(),
        category=Category.objects.get(code="food"),
        product_name=f"ギフト {number}",
        amount=100,
        purchased_on=datetime.date(2026, 11, 1),
    )
    with pytest.raises(ValidationError) as error:
        purchase.full_clean()
    assert "product_name" in error.value.message_dict
    with pytest.raises(ValidationError):
        purchase.save()
    assert not Purchase.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("card_last4", "424"),
        ("card_last4", "42424"),
        ("card_last4", "abcd"),
        ("card_exp", "13/28"),
        ("card_exp", "1228"),
        ("card_exp", "12/2028/1"),
        ("card_token", "4242424242424242"),
        ("phone", "not a phone"),
        ("postal_code", "12-34"),
    ],
)
def test_card_and_contact_fields_are_validated(db, field, value):
    with pytest.raises(ValidationError) as error:
        Customer(**{**HANAKO, field: value}).full_clean()
    assert field in error.value.message_dict


@pytest.mark.parametrize("exp", ["01/27", "12/2030"])
def test_expiry_accepts_mm_yy_and_mm_yyyy(db, exp):
    Customer(**{**HANAKO, "card_exp": exp}).full_clean()


def test_ordinary_numbers_are_not_card_numbers(db):
    customer = Customer(
        **{
            **HANAKO,
            "address": "東京都新宿区西新宿2-8-1 ビル12F",
            "postal_code": "１６０－００２３",
        }
    )
    customer.full_clean()


@pytest.mark.parametrize("number", CARD_NUMBERS.values(), ids=CARD_NUMBERS.keys())
def test_the_admin_add_form_refuses_card_numbers(client, people, number):
    data = {**HANAKO, "card_token": number}
    response = signed_in(client, people.alice).post(f"{CHANGELIST}add/", data)
    assert response.status_code == 200
    assert MESSAGE_START in response.content.decode()
    assert not Customer.objects.exists()


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_the_admin_change_form_refuses_card_numbers(client, people, field):
    customer = make_customer()
    data = {**dict.fromkeys(HANAKO, ""), field: "4242 4242 4242 4242"}
    response = signed_in(client, people.carol).post(change_url(customer), data)
    assert response.status_code == 200
    assert MESSAGE_START in response.content.decode()
    assert getattr(Customer.objects.get(pk=customer.pk), field) == HANAKO[field]


def test_the_purchase_form_refuses_card_numbers(client, people):
    customer = make_customer()
    data = {
        "customer": str(customer.pk),
        "category": Category.objects.get(code="food").pk,
        "product_name": "４２４２－４２４２－４２４２－４２４２",
        "amount": "100",
        "purchased_on": "2026-11-01",
    }
    response = signed_in(client, people.bob).post(f"{PURCHASES}add/", data)
    assert response.status_code == 200
    assert MESSAGE_START in response.content.decode()
    assert not Purchase.objects.exists()
