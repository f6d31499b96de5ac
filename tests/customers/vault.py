"""Shared helpers for the customer vault tests (masking, reveal, search, admin)."""

import datetime

from audit.models import AuditEntry
from customers.models import Category, Customer, Purchase

CHANGELIST = "/admin/customers/customer/"
PURCHASES = "/admin/customers/purchase/"
SEARCH = "/admin/customers/customer/search/"

HANAKO = {
    "name": "山田 花子",
    "name_kana": "ヤマダ ハナコ",
    "gender": "female",
    "postal_code": "160-0023",
    "address": "東京都新宿区西新宿2-8-1 テストマンション101",
    "phone": "090-1234-5678",
    "email": "hanako.yamada@example.com",
    "card_token": "tok_1a2b3c4d5e6f",
    "card_brand": "VISA",
    "card_last4": "4242",
    "card_exp": "12/28",
}


def change_url(customer):
    return f"{CHANGELIST}{customer.pk}/change/"


def view_url(customer):
    """The customer's page: the read view (editing is ``change_url``)."""
    return f"{CHANGELIST}{customer.pk}/"


def reveal_url(customer, field):
    return f"{CHANGELIST}{customer.pk}/reveal/{field}/"


def make_customer(**values):
    return Customer.objects.create(**{**HANAKO, **values})


def make_purchase(customer, category="food", product="有機玄米 5kg", amount=3200):
    return Purchase.objects.create(
        customer=customer,
        category=Category.objects.get(code=category),
        product_name=product,
        amount=amount,
        purchased_on=datetime.date(2026, 11, 1),
    )


def entries(action, **filters):
    return AuditEntry.objects.filter(action=action, **filters).order_by("seq")
