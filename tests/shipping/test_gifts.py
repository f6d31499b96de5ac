"""Gift shipments in the browser (issue #23): a shipment to another recipient is made and
changed by who does label work, its recipient sealed like every personal field, masked on
its pages and revealed only through the reading path, with a reason."""

import io

import pytest
from django.db import connection

from audit.models import AuditEntry
from customers.models import Customer
from shipping import services
from shipping.models import Shipment
from tests.signing import signed_in

pytestmark = pytest.mark.django_db

GIFT = {
    "recipient_name": "高橋 美咲",
    "recipient_postal_code": "２２０００１２",
    "recipient_address": "神奈川県横浜市西区みなとみらい2-2-1 ランドマーク30階",
    "recipient_phone": "045-222-3333",
}


@pytest.fixture
def customer(shipments):
    return shipments[0].customer


def gift_of(client, customer, **changes):
    return client.post(f"/admin/shipping/gift/{customer.pk}/", {**GIFT, **changes})


def raw_row(shipment):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT recipient_name, recipient_address FROM shipping_shipment WHERE id = %s",
            # The id as this database stores it (SQLite: 32 hex digits; PostgreSQL: uuid).
            [type(shipment)._meta.pk.get_db_prep_value(shipment.pk, connection)],
        )
        return b"".join(bytes(v) for v in cursor.fetchone())


@pytest.mark.parametrize("who", ["alice", "bob", "carol"])
def test_who_does_label_work_makes_a_gift_sealed_and_masked(client, people, customer, who):
    signed_in(client, getattr(people, who))
    form = client.get(f"/admin/shipping/gift/{customer.pk}/").content.decode()
    assert 'id="gift-form"' in form and 'id="logout-form"' in form

    response = gift_of(client, customer)

    shipment = Shipment.objects.exclude(to_address_on_file=True).get()
    assert response.status_code == 302
    assert response.url == f"/admin/shipping/shipments/{shipment.pk}/"
    # Sealed: the stored bytes hold no part of the recipient.
    stored = raw_row(shipment)
    assert "高橋".encode() not in stored and "横浜".encode() not in stored
    entry = AuditEntry.objects.filter(action="shipment.add").latest("seq")
    assert entry.detail == {"gift": True} and entry.customer_ids == [str(customer.pk)]

    page = client.get(response.url).content.decode()
    assert "別のお届け先（ギフト）" in page and 'id="gift-recipient"' in page
    assert "高橋 **" in page and "神奈川県横浜市 ***" in page and "***-****-3333" in page
    assert "美咲" not in page and "みなとみらい" not in page and "045-222" not in page
    assert AuditEntry.objects.filter(
        action="customer.view", target_type="shipping.shipment", target_id=str(shipment.pk)
    ).exists()
    # The postal code was kept in the label's own form.
    with services.reading.label_check():
        assert Shipment.objects.get(pk=shipment.pk).recipient_postal_code == "220-0012"


def test_a_gift_carries_the_ticked_purchases_not_yet_shipped(client, people, customer):
    from datetime import date

    from customers.models import Category, Purchase

    free = Purchase.objects.create(
        customer=customer,
        product_name="花束",
        category=Category.objects.get(code="food"),
        amount=5000,
        purchased_on=date(2026, 12, 3),
    )
    signed_in(client, people.bob)
    form = client.get(f"/admin/shipping/gift/{customer.pk}/").content.decode()
    assert "2026年12月3日" in form and "5,000円" in form and "花束" not in form
    assert gift_of(client, customer, purchases=[str(free.pk)]).status_code == 302
    gift = Shipment.objects.get(to_address_on_file=False)
    assert list(gift.purchases.all()) == [free]


@pytest.mark.parametrize(
    "changes, error",
    [
        ({"recipient_postal_code": "22-12"}, "郵便番号は7けた"),
        ({"recipient_address": "横浜市西区みなとみらい2-2-1"}, "都道府県から"),
        ({"recipient_phone": "12"}, "電話番号を数字で"),
        ({"recipient_name": ""}, "このフィールドは必須です"),
    ],
)
def test_a_gift_that_would_not_fit_a_label_is_refused_with_what_to_fix(
    client, people, customer, changes, error
):
    signed_in(client, people.carol)
    response = gift_of(client, customer, **changes)
    assert response.status_code == 400 and error in response.content.decode()
    assert not Shipment.objects.filter(to_address_on_file=False).exists()


@pytest.mark.parametrize("who", ["dave", "erin"])
def test_who_does_no_label_work_cannot_make_or_see_a_gift(client, people, customer, who):
    signed_in(client, getattr(people, who))
    assert gift_of(client, customer).status_code == 403
    assert not Shipment.objects.filter(to_address_on_file=False).exists()


def test_anonymous_people_are_sent_to_sign_in(client, customer):
    response = gift_of(client, customer)
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    assert not Shipment.objects.filter(to_address_on_file=False).exists()


@pytest.fixture
def gift(people, customer):
    from shipping.labels import Recipient

    return services.add_shipment(
        people.bob,
        customer,
        recipient=Recipient(
            "高橋 美咲",
            "220-0012",
            "神奈川県横浜市西区みなとみらい2-2-1 ランドマーク30階",
            "045-222-3333",
        ),
    )


def test_changing_a_gift_keeps_blank_fields_and_never_shows_a_value(client, people, gift):
    signed_in(client, people.carol)
    form = client.get(f"/admin/shipping/shipments/{gift.pk}/gift/").content.decode()
    assert 'placeholder="高橋 **"' in form and "美咲" not in form and "045-222" not in form

    response = client.post(
        f"/admin/shipping/shipments/{gift.pk}/gift/",
        {"recipient_address": "神奈川県横浜市中区山下町1 ホテル501"},
    )

    assert response.status_code == 302 and response.url == f"/admin/shipping/shipments/{gift.pk}/"
    with services.reading.label_check():
        gift = Shipment.objects.get(pk=gift.pk)
        assert gift.recipient_address == "神奈川県横浜市中区山下町1 ホテル501"
        assert gift.recipient_name == "高橋 美咲" and gift.recipient_phone == "045-222-3333"
    entry = AuditEntry.objects.filter(action="shipment.gift_change").latest("seq")
    assert entry.target_type == "shipping.shipment" and entry.target_id == str(gift.pk)
    assert entry.detail == {"fields": ["recipient_address"], "gift": True}
    assert "ホテル" not in str(entry.detail)


def test_a_gift_in_a_label_file_can_no_longer_change(client, people, routine, gift):
    services.make_label_file(people.carol, routine, [gift.pk])
    signed_in(client, people.carol)
    page = client.get(f"/admin/shipping/shipments/{gift.pk}/").content.decode()
    assert 'id="gift-edit-link"' not in page and "ラベル作成済" in page
    response = client.post(
        f"/admin/shipping/shipments/{gift.pk}/gift/", {"recipient_name": "別人 です"}
    )
    assert response.status_code == 302
    with services.reading.label_check():
        assert Shipment.objects.get(pk=gift.pk).recipient_name == "高橋 美咲"
    assert not AuditEntry.objects.filter(action="shipment.gift_change").exists()


def test_a_recipients_value_is_revealed_with_a_reason_through_the_reading_path(
    client, people, gift
):
    signed_in(client, people.carol)
    url = f"/admin/shipping/shipments/{gift.pk}/reveal/phone/"
    assert "045-222-3333" not in client.get(url).content.decode()
    # A reason that quotes the recipient is refused like one that quotes the customer.
    quoting = client.post(url, {"reason_code": "other", "note": "高橋美咲さんの件"})
    assert "045-222-3333" not in quoting.content.decode()
    assert "個人情報のような内容" in quoting.content.decode()

    response = client.post(url, {"reason_code": "shipping"})

    page = response.content.decode()
    assert response.status_code == 200 and "045-222-3333" in page and "出荷のページに戻る" in page
    entry = AuditEntry.objects.filter(action="customer.reveal").latest("seq")
    assert entry.target_type == "shipping.shipment" and entry.target_id == str(gift.pk)
    assert entry.detail == {"field": "recipient_phone", "reason": "shipping"}
    assert entry.customer_ids == [str(gift.customer_id)]
    assert "045" not in str(entry.detail)


def test_a_shipment_to_the_address_on_file_has_nothing_to_reveal(client, people, shipments):
    signed_in(client, people.alice)
    own = shipments[1]
    assert client.get(f"/admin/shipping/shipments/{own.pk}/reveal/name/").status_code == 404
    assert client.get(f"/admin/shipping/shipments/{own.pk}/gift/").status_code == 302
    page = client.get(f"/admin/shipping/shipments/{own.pk}/").content.decode()
    assert "登録の住所" in page and 'id="gift-recipient"' not in page


def test_the_customer_list_opens_the_gift_form_for_one_ticked_customer(client, people, shipments):
    signed_in(client, people.carol)
    one, two = shipments[0].customer, shipments[1].customer
    action = {"action": "gift_for_selected", "_selected_action": [str(one.pk)]}
    response = client.post("/admin/customers/customer/", action)
    assert response.status_code == 302 and response.url == f"/admin/shipping/gift/{one.pk}/"
    action["_selected_action"] = [str(one.pk), str(two.pk)]
    response = client.post("/admin/customers/customer/", action, follow=True)
    assert "顧客を1人だけ選んで" in response.content.decode()


def test_a_gift_goes_into_the_label_file_to_its_recipient(people, routine, gift):
    label_file = services.make_label_file(people.carol, routine, [gift.pk])
    out = io.BytesIO()
    services.download_label_file(label_file, people.carol, out)
    text = out.getvalue().decode("cp932")
    assert "高橋 美咲" in text and "220-0012" in text and "山田" not in text
    assert Customer.objects.filter(pk=gift.customer_id).exists()
