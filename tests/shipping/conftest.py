from datetime import date

import pytest

from customers.models import Category, Customer, Purchase
from shipping import services

ADDRESSES = [
    ("山田 花子", "150-0001", "東京都渋谷区神宮前1-2-3 表参道ハイツ101", "090-1234-5678"),
    ("佐藤 太郎", "530-0001", "大阪府大阪市北区梅田1-1-1", "06-1234-5678"),
    ("鈴木 一郎", "060-0001", "北海道札幌市中央区北一条西1-1", "011-123-4567"),
]


@pytest.fixture
def routine(people):
    return services.approve_routine(
        people.alice,
        carrier="yamato_b2",
        daily_cap=200,
        descriptions={},
        sender_name="見本商店",
        sender_postal_code="100-0001",
        sender_address="東京都千代田区千代田1-1 見本ビル2階",
        sender_phone="03-1234-5678",
    )


@pytest.fixture
def shipments(people):
    """One shipment per customer; the first holds a sensitive purchase (medicine)."""
    made = []
    medicine, food = Category.objects.get(code="medicine"), Category.objects.get(code="food")
    for n, (name, postal, address, phone) in enumerate(ADDRESSES):
        customer = Customer.objects.create(
            name=name, postal_code=postal, address=address, phone=phone, email=f"c{n}@example.com"
        )
        purchase = Purchase.objects.create(
            customer=customer,
            product_name="発毛サプリ" if n == 0 else "お米",
            category=medicine if n == 0 else food,
            amount=3000,
            purchased_on=date(2026, 12, 1),
        )
        made.append(services.add_shipment(people.bob, customer, [purchase]))
    return made
