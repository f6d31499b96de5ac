"""An order file builds the shipments (issue #24): each imported order becomes one
shipment of its purchases, to the address on file when the order goes to the customer,
else to a sealed gift recipient; importing the file again adds none."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from customers.models import Category, ProductCategory, Purchase
from customers.orders import import_orders
from shipping.models import Shipment
from tests.customers.vault import make_customer
from tests.signing import signed_in

pytestmark = pytest.mark.usefixtures("test_reads")

HEADER = (
    "Name,Email,Financial Status,Paid at,Lineitem quantity,Lineitem name,Lineitem price,"
    "Shipping Name,Shipping Address1,Shipping Address2,Shipping City,Shipping Zip,"
    "Shipping Province,Shipping Phone,Created at"
)
# #2001 goes to Hanako's own address (written as Shopify splits it), #2002 to a friend.
ORDERS = "\r\n".join(
    [
        HEADER,
        "#2001,hanako.yamada@example.com,paid,2026-11-02 14:05:00 +0900,1,例の玄米 5kg,3200,"
        "山田 花子,西新宿２－８－１,テストマンション101,新宿区,'1600023,JP-13,"
        "'090-1234-5678,2026-11-02 14:00:00 +0900",
        "#2001,,,,2,例のお茶,600,,,,,,,,",
        "#2002,hanako.yamada@example.com,paid,2026-11-03 10:00:00 +0900,1,例のお茶,600,"
        "見本 友子,梅田1-1-1,,大阪市北区,'530-0001,JP-27,'06-0000-1234,"
        "2026-11-03 09:00:00 +0900",
        "",
    ]
)


@pytest.fixture
def catalogue(db):
    food = Category.objects.get(code="food")
    for product in ("例の玄米 5kg", "例のお茶"):
        ProductCategory.objects.create(product_name=product, category=food)


def command(tmp_path, data):
    path = tmp_path / "orders_export.csv"
    path.write_bytes(data)
    call_command(
        "import_customers", str(path), "--format", "shopify-orders", stdout=StringIO(),
        stderr=StringIO(),
    )  # fmt: skip


def test_each_order_becomes_one_shipment_of_its_purchases(tmp_path, catalogue):
    hanako = make_customer()

    command(tmp_path, ORDERS.encode())

    own = Shipment.objects.get(to_address_on_file=True)
    assert own.customer_id == hanako.pk
    assert sorted(p.external_ref for p in own.purchases.all()) == [
        "shopify:#2001:1",
        "shopify:#2001:2",
    ]
    assert own.recipient_name == "" and own.recipient_address == ""
    gift = Shipment.objects.get(to_address_on_file=False)
    assert [p.external_ref for p in gift.purchases.all()] == ["shopify:#2002:1"]
    assert gift.recipient_name == "見本 友子"
    assert gift.recipient_postal_code == "530-0001"
    assert gift.recipient_address == "大阪府大阪市北区 梅田1-1-1"
    assert gift.recipient_phone == "06-0000-1234"
    added = AuditEntry.objects.filter(action="shipment.add")
    assert added.count() == 2
    assert {str(e.detail["gift"]) for e in added} == {"True", "False"}
    assert "見本" not in str([e.detail for e in added])


def test_importing_the_same_orders_again_adds_no_shipment(tmp_path, catalogue):
    make_customer()
    command(tmp_path, ORDERS.encode())

    command(tmp_path, ORDERS.encode())

    assert Shipment.objects.count() == 2
    assert Purchase.objects.count() == 3


def test_a_refused_order_file_adds_no_shipment(tmp_path, catalogue):
    make_customer()
    unknown = ORDERS.replace("#2002,hanako.yamada@", "#2002,nobody@")

    with pytest.raises(CommandError):
        command(tmp_path, unknown.encode())

    assert not Shipment.objects.exists() and not Purchase.objects.exists()


def test_a_delivery_address_a_shipment_refuses_refuses_the_file(client, people, catalogue):
    make_customer()
    signed_in(client, people.bob)
    too_long = ORDERS.replace("'06-0000-1234", "'06-0000-1234" + "9" * 40)

    response = upload(client, too_long.encode())

    assert response.status_code == 200
    assert "注文 #2002 のお届け先" in response.text
    assert "06-0000" not in response.text
    assert not Shipment.objects.exists() and not Purchase.objects.exists()
    assert AuditEntry.objects.filter(action="customer.import", outcome="refused").exists()


def test_an_own_hook_replaces_the_shipment_builder(catalogue):
    make_customer()
    deliveries = []

    import_orders(ORDERS.encode(), "shopify-orders", on_delivery=deliveries.append)

    assert [d.order_ref for d in deliveries] == ["shopify:#2001", "shopify:#2002"]
    assert deliveries[1].prefecture == "大阪府"
    assert not Shipment.objects.exists()


def upload(client, data):
    csv_file = SimpleUploadedFile("orders_export.csv", data, "text/csv")
    return client.post("/admin/customers/import/", {"file": csv_file, "format": "shopify-orders"})


def test_the_import_page_takes_an_order_file(client, people, catalogue):
    make_customer()
    signed_in(client, people.bob)
    page = client.get("/admin/customers/import/")
    assert 'value="shopify-orders"' in page.text and 'value="eccube-orders"' in page.text

    response = upload(client, ORDERS.encode())

    assert response.status_code == 302
    result = client.get(response["Location"]).text
    assert "注文 2 件から、購入履歴を 3 件登録しました" in result
    assert Shipment.objects.count() == 2
    entry = AuditEntry.objects.get(action="customer.import")
    assert entry.actor_id == people.bob.pk and entry.detail["orders"] == 2
    assert set(
        AuditEntry.objects.filter(action="shipment.add").values_list("actor_id", flat=True)
    ) == {people.bob.pk}


def test_the_import_page_refuses_an_order_file_by_line(client, people, catalogue):
    make_customer()
    signed_in(client, people.bob)

    response = upload(client, ORDERS.replace("#2002,hanako.yamada@", "#2002,nobody@").encode())

    assert response.status_code == 200
    assert "この注文の顧客が見つかりません" in response.text
    assert "nobody" not in response.text
    assert not Shipment.objects.exists() and not Purchase.objects.exists()
