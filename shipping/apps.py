from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShippingConfig(AppConfig):
    name = "shipping"
    verbose_name = _("出荷とラベル")

    def ready(self):
        # The carriers of active label routines are entrusted parties (委託先): the
        # policy lists them through its own hook (the policy app imports no app above it).
        from customers.admin import offer_list_action
        from policy.vendors import offer_vendors
        from shipping.admin_actions import ADD_SHIPMENTS, ship_selected
        from shipping.services import carriers_entrusted

        offer_vendors(carriers_entrusted)
        # "Ship the ticked customers" on the customer list, through its hook.
        offer_list_action(ship_selected, ADD_SHIPMENTS)
        # Each imported order becomes a shipment (customers may not import this app).
        from customers.orders import offer_deliveries
        from shipping.orders import ship_order

        offer_deliveries(ship_order)
