"""Order files become purchases (issue #24): Shopify's order export and EC-CUBE 4's order
CSV, one purchase per line item, in the category the owner chose for the product once.
Each order's Delivery is handed to ``on_delivery`` (the shipping app's shipment builder
by default: tests/shipping/test_shipments_from_orders.py)."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from customers.models import Category, Customer, ProductCategory, Purchase
from customers.orders import import_orders
from tests.customers.vault import make_customer
from tests.signing import signed_in

pytestmark = pytest.mark.usefixtures("test_reads")

SHOPIFY_HEADER = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Currency,Subtotal,Shipping,Total,"
    "Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Shipping Name,"
    "Shipping Address1,Shipping Address2,Shipping City,Shipping Zip,Shipping Province,"
    "Shipping Country,Shipping Phone,Created at"
)
SHOPIFY_ORDERS = (
    "\r\n".join(
        [
            SHOPIFY_HEADER,
            "#1001,hanako.yamada@example.com,paid,2026-11-02 14:05:00 +0900,unfulfilled,JPY,"
            "4400,0,4400,1,例の玄米 5kg,3200.00,R5,山田 花子,例町1-2-3,例ビル201,例市,"
            "'000-0001,JP-13,JP,'090-0000-1234,2026-11-02 14:00:00 +0900",
            "#1001,,,,,,,,,2,例のお茶,600.00,T1,,,,,,,,,",
            "#1002,hanako.yamada@example.com,refunded,2026-11-03 10:00:00 +0900,,JPY,"
            "3200,0,3200,1,例の玄米 5kg,3200.00,R5,山田 花子,例町1-2-3,,例市,'000-0001,JP-13,"
            "JP,,2026-11-03 09:00:00 +0900",
        ]
    )
    + "\r\n"
)


@pytest.fixture
def catalogue(db):
    food = Category.objects.get(code="food")
    for product in ("例の玄米 5kg", "例のお茶"):
        ProductCategory.objects.create(product_name=product, category=food)
    return food


def command(tmp_path, data, file_format):
    path = tmp_path / "orders_export.csv"
    path.write_bytes(data)
    out, err = StringIO(), StringIO()
    try:
        call_command("import_customers", str(path), "--format", file_format, stdout=out, stderr=err)
    finally:
        command.err = err.getvalue()
    return out.getvalue()


def test_a_shopify_order_export_becomes_one_purchase_per_line_item(tmp_path, catalogue):
    customer = make_customer()

    output = command(tmp_path, SHOPIFY_ORDERS.encode(), "shopify-orders")

    assert "Imported 2 purchases from 1 orders" in output  # #1002 was refunded
    purchases = sorted(customer.purchases.all(), key=lambda p: p.amount)
    assert [(p.product_name, p.amount) for p in purchases] == [
        ("例のお茶", 1200),
        ("例の玄米 5kg", 3200),
    ]
    assert {str(p.purchased_on) for p in purchases} == {"2026-11-02"}
    assert {p.category for p in purchases} == {catalogue}
    entry = AuditEntry.objects.get(action="customer.import")
    assert entry.detail["format"] == "shopify-orders" and entry.detail["purchases"] == 2
    assert entry.customer_ids == [str(customer.pk)]
    assert "例の玄米" not in str(entry.detail)


def test_importing_the_same_orders_again_adds_nothing(tmp_path, catalogue):
    make_customer()
    command(tmp_path, SHOPIFY_ORDERS.encode(), "shopify-orders")

    output = command(tmp_path, SHOPIFY_ORDERS.encode(), "shopify-orders")

    assert "Imported 0 purchases" in output
    assert Purchase.objects.count() == 2


def test_an_order_of_an_unknown_customer_imports_nothing(tmp_path, catalogue):
    with pytest.raises(CommandError, match="nothing was imported"):
        command(tmp_path, SHOPIFY_ORDERS.encode(), "shopify-orders")

    assert "2行目, Email: この注文の顧客が見つかりません" in command.err
    assert "hanako" not in command.err
    assert not Purchase.objects.exists()


def test_a_product_without_a_category_is_refused_until_the_owner_chooses_one(tmp_path, db):
    make_customer()

    with pytest.raises(CommandError):
        command(tmp_path, SHOPIFY_ORDERS.encode(), "shopify-orders")

    assert "2行目, Lineitem name: この商品のカテゴリが決まっていません" in command.err
    # The products are named once each (catalogue data), so the owner knows what to
    # categorise; the ledger's record of the refusal names none.
    assert command.err.endswith(
        "Products without a category (choose each one's category once, under 商品のカテゴリ "
        "in the admin):\n  例のお茶\n  例の玄米 5kg\n"
    )
    assert not Purchase.objects.exists()
    refused = AuditEntry.objects.get(action="customer.import", outcome="refused")
    assert "例の" not in str(refused.detail)


def test_the_import_page_names_the_products_without_a_category(client, people, db):
    make_customer()
    signed_in(client, people.bob)
    csv_file = SimpleUploadedFile("orders_export.csv", SHOPIFY_ORDERS.encode(), "text/csv")

    response = client.post(
        "/admin/customers/import/", {"file": csv_file, "format": "shopify-orders"}
    )

    assert response.status_code == 200
    assert "カテゴリが決まっていない商品です" in response.text
    assert "<li>例のお茶</li><li>例の玄米 5kg</li>" in response.text
    assert not Purchase.objects.exists()


def test_each_orders_delivery_address_is_handed_to_a_shipment_builder(db, catalogue):
    customer = make_customer()
    deliveries = []

    import_orders(SHOPIFY_ORDERS.encode(), "shopify-orders", on_delivery=deliveries.append)

    [delivery] = deliveries
    assert delivery.order_ref == "shopify:#1001" and delivery.customer_id == customer.pk
    assert delivery.name == "山田 花子" and delivery.postal_code == "000-0001"
    assert delivery.address == "例市 例町1-2-3 例ビル201"


ECCUBE_ORDERS = (
    "注文ID,注文番号,会員ID,メールアドレス,対応状況,注文日,入金日,商品名,単価,数量,"
    "配送先_お名前(姓),配送先_お名前(名),配送先_郵便番号,配送先_都道府県,配送先_住所1,"
    "配送先_住所2,配送先_TEL\r\n"
    "1,1001,12,,新規受付,2026/11/02 10:00:00,2026/11/02 11:00:00,例のお茶,600,3,見本,花子,"
    "5300001,大阪府,大阪市北区例町,1-2-3,06-0000-1234\r\n"
)


def test_an_eccube_order_csv_in_cp932_finds_the_member_by_id(tmp_path, catalogue):
    customer = make_customer(email="")
    Customer.objects.filter(pk=customer.pk).update(external_id="eccube:12")

    output = command(tmp_path, ECCUBE_ORDERS.encode("cp932"), "eccube-orders")

    assert "Imported 1 purchases from 1 orders (cp932" in output
    purchase = Purchase.objects.get()
    assert purchase.customer_id == customer.pk and purchase.amount == 1800
    assert str(purchase.purchased_on) == "2026-11-02"


def test_the_owner_chooses_a_products_category_once_in_the_admin(client, people, db):
    food = Category.objects.get(code="food")
    signed_in(client, people.alice)

    response = client.post(
        "/admin/customers/productcategory/add/",
        {"product_name": "例のお茶", "category": food.pk},
    )

    assert response.status_code == 302
    assert ProductCategory.objects.get().category == food
    signed_in(client, people.carol)
    assert client.get("/admin/customers/productcategory/").status_code == 403
