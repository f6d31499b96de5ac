"""The label work's pages (issue #23): staff make and download a file within the routine,
see what to fix when an address does not fit, the owner approves the routine, and the
carrier's tracking file is read back."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEntry
from customers.models import Category
from shipping.models import LabelFile, LabelRoutine, Shipment
from tests.signing import signed_in

pytestmark = pytest.mark.django_db


def make(client, routine, shipments):
    return client.post(
        "/admin/shipping/make/",
        {"routine": routine.pk, "shipments": [str(s.pk) for s in shipments]},
    )


def test_staff_make_a_file_and_download_it_once(client, people, routine, shipments):
    signed_in(client, people.carol)
    page = client.get("/admin/shipping/").content.decode()
    assert all(s.reference in page for s in shipments) and "今日はあと200件" in page
    assert "山田" not in page  # the list shows shipment numbers, not names

    response = make(client, routine, shipments)

    label_file = LabelFile.objects.get()
    assert response.status_code == 302 and response.url == f"/admin/shipping/files/{label_file.pk}/"
    page = client.get(response.url).content.decode()
    assert 'id="label-download"' in page and 'id="logout-form"' in page
    # Downloading asks for the password first.
    response = client.post(f"/admin/shipping/files/{label_file.pk}/download/")
    assert response.status_code == 302 and response.url.startswith("/admin/reauth/")

    signed_in(client, people.carol, reauthenticated=True)
    response = client.post(f"/admin/shipping/files/{label_file.pk}/download/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content).decode("cp932")
    assert content.startswith("お客様管理番号,") and "山田 花子" in content
    again = client.post(f"/admin/shipping/files/{label_file.pk}/download/")
    assert again.status_code == 302
    assert AuditEntry.objects.filter(action="label.download", outcome="ok").count() == 1


def test_an_address_that_does_not_fit_is_listed_before_any_file(client, people, routine, shipments):
    customer = shipments[0].customer
    customer.postal_code = ""
    customer.save()
    signed_in(client, people.carol)

    response = make(client, routine, shipments)

    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="label-problems"' in page and shipments[0].reference in page
    assert "お届け先の郵便番号" in page
    assert not LabelFile.objects.exists()
    assert set(Shipment.objects.values_list("state", flat=True)) == {"unshipped"}


def routine_data(**changes):
    data = {
        "carrier": "yamato_b2",
        "daily_cap": "150",
        "sender_name": "見本商店",
        "sender_postal_code": "100-0001",
        "sender_address": "東京都千代田区千代田1-1",
        "sender_phone": "03-1234-5678",
    }
    for category in Category.objects.all():
        data[f"item_{category.code}"] = "日用品" if category.sensitive else category.name_ja
    return {**data, **changes}


def test_the_owner_approves_a_routine_after_confirming_the_password(client, people):
    signed_in(client, people.alice, reauthenticated=True)
    page = client.get("/admin/shipping/routines/").content.decode()
    assert 'id="routine-form"' in page and "日用品" in page

    response = client.post("/admin/shipping/routines/approve/", routine_data())

    assert response.status_code == 302
    routine = LabelRoutine.objects.get()
    assert routine.daily_cap == 150 and routine.approved_by == people.alice
    assert routine.descriptions["medicine"] == "日用品"
    assert AuditEntry.objects.get(action="label.routine_approve").detail["daily_cap"] == 150


def test_a_sensitive_categorys_own_name_is_refused_as_its_description(client, people):
    signed_in(client, people.alice, reauthenticated=True)
    medicine = Category.objects.get(code="medicine")
    response = client.post(
        "/admin/shipping/routines/approve/", routine_data(item_medicine=medicine.name_ja)
    )
    assert response.status_code == 400 and not LabelRoutine.objects.exists()


@pytest.mark.parametrize("who", ["bob", "carol"])
def test_managers_and_staff_cannot_approve_a_routine(client, people, who):
    signed_in(client, getattr(people, who), reauthenticated=True)
    assert 'id="routine-form"' not in client.get("/admin/shipping/routines/").content.decode()
    response = client.post("/admin/shipping/routines/approve/", routine_data())
    assert response.status_code == 403 and not LabelRoutine.objects.exists()


def test_the_tracking_page_marks_shipped_and_lists_unmatched_lines(
    client, people, routine, shipments
):
    signed_in(client, people.carol)
    make(client, routine, shipments[:1])
    body = f"お客様管理番号,伝票番号\r\n{shipments[0].reference},1234-5678-9012\r\nXX,1\r\n"
    upload = SimpleUploadedFile("issued.csv", body.encode("cp932"), content_type="text/csv")

    response = client.post("/admin/shipping/tracking/", {"carrier": "yamato_b2", "file": upload})

    assert response.status_code == 200
    page = response.content.decode()
    assert "1件を発送済みにしました" in page and 'id="tracking-unmatched"' in page
    assert Shipment.objects.get(pk=shipments[0].pk).tracking_number == "1234-5678-9012"


def test_a_bad_tracking_file_is_refused_on_the_page_and_changes_nothing(
    client, people, routine, shipments
):
    signed_in(client, people.carol)
    make(client, routine, shipments[:1])
    upload = SimpleUploadedFile("issued.csv", b"\x81", content_type="text/csv")
    response = client.post("/admin/shipping/tracking/", {"carrier": "yamato_b2", "file": upload})
    assert response.status_code == 400 and "Shift_JIS" in response.content.decode()
    assert Shipment.objects.get(pk=shipments[0].pk).state == "labelled"


def test_the_customer_list_action_adds_a_shipment_per_ticked_customer(client, people):
    from customers.models import Customer, Purchase

    hanako = Customer.objects.create(name="山田 花子", address="東京都渋谷区1-1")
    taro = Customer.objects.create(name="佐藤 太郎", address="大阪府大阪市1-1")
    food = Category.objects.get(code="food")
    bought = Purchase.objects.create(
        customer=hanako, product_name="お米", category=food, amount=1, purchased_on="2026-12-01"
    )
    signed_in(client, people.carol)
    page = client.get("/admin/customers/customer/").content.decode()
    assert 'value="ship_selected"' in page

    response = client.post(
        "/admin/customers/customer/",
        {"action": "ship_selected", "_selected_action": [hanako.pk, taro.pk]},
    )

    assert response.status_code == 302 and response.url == "/admin/shipping/"
    shipments = Shipment.objects.order_by("created_at")
    assert {s.customer_id for s in shipments} == {hanako.pk, taro.pk}
    assert all(s.to_address_on_file and s.state == "unshipped" for s in shipments)
    assert list(Shipment.objects.get(customer=hanako).purchases.all()) == [bought]
    entry = AuditEntry.objects.get(action="shipment.add")
    assert set(entry.customer_ids) == {str(hanako.pk), str(taro.pk)}


def test_the_ship_action_is_not_offered_to_auditors(client, people):
    signed_in(client, people.dave)
    response = client.get("/admin/customers/customer/")
    assert 'value="ship_selected"' not in response.content.decode()
