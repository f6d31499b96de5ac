"""The daily label work (issue #23): within the owner's routine, staff make a one-time
carrier file without a second check; past the cap, or with an address that does not fit,
nothing is made; every file names its customers in the ledger."""

import csv
import io
from datetime import date

import pytest

from audit.models import AuditEntry
from customers.models import Category, Purchase
from shipping import services
from shipping.models import LabelFile, Shipment
from shipping.services import LabelRefused

pytestmark = pytest.mark.django_db


def read_csv(content):
    return list(csv.reader(io.StringIO(content.decode("cp932"))))


def test_staff_make_and_download_a_file_within_the_routine(people, routine, shipments):
    label_file = services.make_label_file(people.carol, routine, [s.pk for s in shipments])

    assert label_file.shipment_count == 3 and label_file.status == "made"
    assert {s.state for s in Shipment.objects.all()} == {"labelled"}
    made = AuditEntry.objects.get(action="label.make")
    assert made.actor_id == people.carol.pk
    assert made.detail == {"carrier": "yamato_b2", "routine": routine.pk, "shipments": 3}

    sink = io.BytesIO()
    services.download_label_file(label_file, people.carol, sink)

    rows = read_csv(sink.getvalue())
    assert rows[0][0] == "お客様管理番号" and len(rows) == 4
    assert [r[0] for r in rows[1:]] == [s.reference for s in shipments]
    assert rows[1][15] == "山田 花子" and rows[1][17] == "様"
    label_file.refresh_from_db()
    assert label_file.status == "downloaded" and len(label_file.file_sha256) == 64
    downloaded = AuditEntry.objects.get(action="label.download")
    assert set(downloaded.customer_ids) == {str(s.customer_id) for s in shipments}


def test_a_sensitive_purchase_never_names_its_product_on_the_box(people, routine, shipments):
    label_file = services.make_label_file(people.carol, routine, [shipments[0].pk])
    sink = io.BytesIO()
    services.download_label_file(label_file, people.carol, sink)
    text = sink.getvalue().decode("cp932")
    assert "発毛" not in text and "日用品" in text


def test_the_owner_sets_the_neutral_description(people, shipments):
    routine = services.approve_routine(
        people.alice,
        carrier="sagawa_ehiden",
        daily_cap=10,
        descriptions={"medicine": "雑貨"},
        sender_name="見本商店",
        sender_postal_code="1000001",
        sender_address="東京都千代田区千代田1-1",
        sender_phone="0312345678",
    )
    label_file = services.make_label_file(people.bob, routine, [shipments[0].pk])
    sink = io.BytesIO()
    services.download_label_file(label_file, people.bob, sink)
    rows = read_csv(sink.getvalue())
    assert rows[1][rows[0].index("品名１")] == "雑貨"


def test_a_file_downloads_once_by_the_person_who_made_it(people, routine, shipments):
    label_file = services.make_label_file(people.carol, routine, [shipments[0].pk])
    with pytest.raises(LabelRefused):
        services.download_label_file(label_file, people.bob, io.BytesIO())
    services.download_label_file(label_file, people.carol, io.BytesIO())
    with pytest.raises(LabelRefused, match="すでに"):
        services.download_label_file(label_file, people.carol, io.BytesIO())
    refused = AuditEntry.objects.filter(action="label.download", outcome="refused")
    assert [e.detail["reason"] for e in refused] == ["not_maker", "downloaded"]


def test_past_the_daily_cap_nothing_is_made(people, routine, shipments):
    routine.daily_cap = 2
    routine.save()
    with pytest.raises(LabelRefused, match="エクスポート申請"):
        services.make_label_file(people.carol, routine, [s.pk for s in shipments])
    assert not LabelFile.objects.exists()
    assert {s.state for s in Shipment.objects.all()} == {"unshipped"}
    services.make_label_file(people.carol, routine, [s.pk for s in shipments[:2]])
    with pytest.raises(LabelRefused):
        services.make_label_file(people.carol, routine, [shipments[2].pk])
    refused = AuditEntry.objects.filter(action="label.make", outcome="refused")
    assert [e.detail["reason"] for e in refused] == ["over_cap", "over_cap"]


def test_a_bad_address_is_listed_by_field_and_no_file_is_made(people, routine, shipments):
    customer = shipments[1].customer
    customer.postal_code = ""
    customer.address = "梅田1-1-1"  # no prefecture
    customer.save()

    with pytest.raises(LabelRefused) as refused:
        services.make_label_file(people.carol, routine, [s.pk for s in shipments])

    problems = refused.value.problems
    assert {(p.reference, p.field) for p in problems} == {
        (shipments[1].reference, "お届け先の郵便番号"),
        (shipments[1].reference, "お届け先の住所"),
    }
    assert not LabelFile.objects.exists()
    assert {s.state for s in Shipment.objects.all()} == {"unshipped"}
    entry = AuditEntry.objects.get(action="label.make", outcome="refused")
    assert entry.detail == {"reason": "does_not_fit", "problems": 2}


def test_staff_and_managers_cannot_approve_a_routine(people):
    for person in (people.bob, people.carol):
        with pytest.raises(LabelRefused):
            services.approve_routine(
                person,
                carrier="yamato_b2",
                daily_cap=5,
                descriptions={},
                sender_name="x",
                sender_postal_code="1000001",
                sender_address="東京都",
                sender_phone="0312345678",
            )
    assert AuditEntry.objects.filter(action="label.routine_approve", outcome="refused").count() == 2


def test_auditors_and_outsiders_cannot_make_files(people, routine, shipments):
    for person in (people.dave, people.erin):
        with pytest.raises(LabelRefused):
            services.make_label_file(person, routine, [shipments[0].pk])
    assert not LabelFile.objects.exists()


def test_an_unfetched_file_expires_after_24_hours_and_its_shipments_wait_again(
    people, routine, shipments, clock
):
    label_file = services.make_label_file(people.carol, routine, [shipments[0].pk])
    clock.advance(25 * 3600)
    with pytest.raises(LabelRefused, match="期限切れ"):
        services.download_label_file(label_file, people.carol, io.BytesIO())
    label_file.refresh_from_db()
    assert label_file.status == "expired"
    assert Shipment.objects.get(pk=shipments[0].pk).state == "unshipped"
    assert AuditEntry.objects.filter(action="label.expire").count() == 1


# Tracking numbers ----------------------------------------------------------------------


def issued(rows, header=("お客様管理番号", "伝票番号")):
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def test_tracking_numbers_mark_shipments_shipped_and_report_unmatched_rows(
    people, routine, shipments
):
    services.make_label_file(people.carol, routine, [s.pk for s in shipments[:2]])
    content = issued(
        [
            (shipments[0].reference, "4000-1111-2222"),
            ("NOSUCHREF", "4000-3333-4444"),
            (shipments[2].reference, "4000-5555-6666"),  # never labelled: not guessed
        ]
    )

    result = services.record_tracking(people.carol, "yamato_b2", content)

    assert result.shipped == 1 and result.unmatched == [3, 4]
    first = Shipment.objects.get(pk=shipments[0].pk)
    assert first.state == "shipped" and first.tracking_number == "4000-1111-2222"
    assert Shipment.objects.get(pk=shipments[1].pk).state == "labelled"
    assert Shipment.objects.get(pk=shipments[2].pk).state == "unshipped"


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe\x00garbage",
        "お客様管理番号,別の列\r\nX,Y\r\n".encode("cp932"),
        b"",
    ],
)
def test_a_bad_tracking_file_changes_nothing(people, routine, shipments, content):
    services.make_label_file(people.carol, routine, [shipments[0].pk])
    with pytest.raises(services.BadTrackingFile):
        services.record_tracking(people.carol, "yamato_b2", content)
    assert Shipment.objects.get(pk=shipments[0].pk).state == "labelled"
    assert not AuditEntry.objects.filter(action="shipment.tracking").exists()


def test_a_shipment_of_several_purchases_is_one_row_named_by_the_right_category(
    people, routine, shipments
):
    """Several purchases make one row; its 品名 is the sensitive category's neutral
    description whatever the order, otherwise the oldest purchase's category's."""
    first, second, third = shipments
    daily = Category.objects.get(code="daily")
    # The first: an older everyday purchase beside its medicine (sensitive wins).
    first.purchases.add(purchase(first.customer, daily, date(2026, 11, 1)))
    # The second: a newer everyday purchase beside its food (the older food names it).
    second.purchases.add(purchase(second.customer, daily, date(2026, 12, 5)))
    # The third: an older everyday purchase beside its food (the older one names it).
    third.purchases.add(purchase(third.customer, daily, date(2026, 11, 1)))
    routine.descriptions = {"food": "食品", "daily": "生活用品"}
    routine.save()

    label_file = services.make_label_file(people.carol, routine, [s.pk for s in shipments])
    sink = io.BytesIO()
    services.download_label_file(label_file, people.carol, sink)

    header, *rows = read_csv(sink.getvalue())
    item = header.index("品名１")
    assert [r[0] for r in rows] == [s.reference for s in shipments]
    assert [r[item] for r in rows] == ["日用品", "食品", "生活用品"]


def purchase(customer, category, day):
    return Purchase.objects.create(
        customer=customer, product_name="見本", category=category, amount=1000, purchased_on=day
    )
