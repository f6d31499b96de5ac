"""An anonymised customer's shipments (shipping's hook on ``Customer.anonymise``): the
owner's anonymisation and the customer's own erasure request forget them as retention
does (tests/upkeep/test_retention.py)."""

from customers import services as customer_services
from customers.models import Customer
from shipping import labels, services
from shipping.models import Shipment

GIFT = labels.Recipient("贈答 先子", "150-0001", "東京都渋谷区神宮前9-9-9", "090-9999-0001")


def test_the_owner_s_anonymisation_forgets_the_customer_s_shipments(
    shipments, rf, people, test_reads
):
    shipped, waiting, other = shipments
    gift = services.add_shipment(None, shipped.customer, recipient=GIFT)
    Shipment.objects.filter(pk__in=[shipped.pk, gift.pk]).update(
        state=Shipment.State.SHIPPED, tracking_number="4455-6677-8899"
    )
    request = rf.post("/")
    request.user = people.alice

    customer_services.anonymise_customer(request, Customer.objects.get(pk=shipped.customer_id))

    for kept in Shipment.objects.filter(pk__in=[shipped.pk, gift.pk]):
        assert kept.state == Shipment.State.SHIPPED
        assert [getattr(kept, name) for name in services.PERSONAL_SHIPMENT_FIELDS] == [""] * 5
    assert Shipment.objects.filter(pk=waiting.pk).exists()  # another customer's box
    assert Shipment.objects.filter(pk=other.pk).exists()


def test_a_box_not_yet_gone_out_is_dropped_with_its_customer_s_data(shipments, rf, people):
    waiting = shipments[0]
    request = rf.post("/")
    request.user = people.alice

    customer_services.anonymise_customer(request, Customer.objects.get(pk=waiting.customer_id))

    assert not Shipment.objects.filter(pk=waiting.pk).exists()
    assert Shipment.objects.count() == len(shipments) - 1
