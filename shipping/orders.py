"""Shipments from imported orders (issue #24): each order of a platform's order file
becomes one shipment of its purchases, to the address on file when the order goes to the
customer, otherwise to the order's delivery address as a sealed gift recipient.

The customers app reads the file and may not import this app: it hands each order's
``Delivery`` to the builder offered at start-up (``ShippingConfig.ready`` calls
``customers.orders.offer_deliveries(ship_order)``), inside the import's transaction and
read scope. An order whose purchases already are in a shipment is left alone, so
importing the same file again adds no shipment.
"""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from customers.importing import ImportRefused, Problem, Reason
from customers.models import Customer, Purchase
from customers.orders import Delivery
from shipping import labels, services
from shipping.models import Shipment
from vault.japan import fold_width, normalise_postal_code


def ship_order(
    delivery: Delivery, *, actor: User | None = None, request: HttpRequest | None = None
) -> Shipment | None:
    """One shipment of the order's purchases, unless one exists already (None then)."""
    purchases = list(
        Purchase.objects.filter(
            customer_id=delivery.customer_id, external_ref__startswith=f"{delivery.order_ref}:"
        )
    )
    through = Shipment.purchases.through
    shipped = through.objects.filter(purchase_id__in=[p.pk for p in purchases]).exists()
    if not purchases or shipped:
        return None
    customer = Customer.objects.get(pk=delivery.customer_id)
    recipient = None if goes_to_address_on_file(delivery, customer) else recipient_of(delivery)
    try:
        return services.add_shipment(
            actor, customer, purchases, recipient=recipient, request=request
        )
    except ValidationError as error:
        # A delivery address the shipment refuses (too long, a card-like number): the
        # whole file is refused, naming the order and the rule, never the value.
        where = _("注文 %(order)s のお届け先") % {"order": delivery.order_ref.split(":", 1)[-1]}
        problems = [Problem(None, where, message) for message in error.messages]
        raise ImportRefused(problems, reason=Reason.ROWS) from None


def recipient_of(delivery: Delivery) -> labels.Recipient:
    return labels.Recipient(
        name=delivery.name,
        postal_code=normalise_postal_code(delivery.postal_code),
        address=delivery.prefecture + delivery.address,
        phone=delivery.phone,
    )


def goes_to_address_on_file(delivery: Delivery, customer: Customer) -> bool:
    """Whether the order goes where the customer lives: the same postal code and address
    (and name, when the file names one), spaces and full/half width aside. An order file
    without a delivery address goes to the address on file."""
    if not (delivery.postal_code or delivery.address):
        return True
    same_name = not delivery.name or _folded(delivery.name) == _folded(customer.name)
    same_code = normalise_postal_code(delivery.postal_code) == normalise_postal_code(
        customer.postal_code
    )
    address = delivery.prefecture + delivery.address
    return same_name and same_code and _folded(address) == _folded(customer.address)


def _folded(text: str) -> str:
    return "".join(fold_width(text).split())
