from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShippingConfig(AppConfig):
    name = "shipping"
    verbose_name = _("出荷とラベル")

    def ready(self):
        from customers.admin import offer_list_action
        from customers.models import also_when_anonymising
        from shipping.admin_actions import ADD_SHIPMENTS, gift_for_selected, ship_selected
        from shipping.services import forget_shipments

        # "Ship the ticked customers" and "a gift for the ticked one" on the customer
        # list, through its hook.
        offer_list_action(ship_selected, ADD_SHIPMENTS)
        offer_list_action(gift_for_selected, ADD_SHIPMENTS)
        # An anonymised customer's shipments lose who received them (customers' hook).
        also_when_anonymising(forget_shipments)
        # Each imported order becomes a shipment (customers may not import this app).
        from customers.orders import offer_deliveries
        from shipping.orders import ship_order

        offer_deliveries(ship_order)
