"""The customer list's admin actions: a shipment for each ticked customer, or a gift
for the one ticked customer.

Offered on the customer list from ``ShippingConfig.ready()`` through the customer admin's
hook (``customers.admin.offer_list_action``), to who may add shipments. Each shipment
of ``ship_selected`` goes to the address on file and holds the customer's purchases not
yet in a shipment; ``gift_for_selected`` opens the gift form (another recipient).
"""

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from shipping import services

ADD_SHIPMENTS = "shipping.add_shipment"
# A day's boxes, not the whole list: more than this is refused.
MAX_SELECTED = 500


@admin.action(description=_("選んだ顧客の出荷を登録する（登録の住所へ）"))
def ship_selected(modeladmin, request, queryset):
    customers = list(queryset.order_by("created_at", "id")[: MAX_SELECTED + 1])
    if len(customers) > MAX_SELECTED:
        messages.error(request, _("一度に登録できるのは500人までです。"))
        return None
    made = services.add_shipments_for(request.user, customers, request=request)
    messages.success(request, _("%(count)s件の出荷を登録しました。") % {"count": made})
    return redirect("shipping:list")


@admin.action(description=_("選んだ顧客のギフトの出荷を登録する（別のお届け先へ）"))
def gift_for_selected(modeladmin, request, queryset):
    chosen = list(queryset.values_list("pk", flat=True)[:2])
    if len(chosen) != 1:
        messages.error(request, _("ギフトの出荷は、顧客を1人だけ選んで登録します。"))
        return None
    return redirect("shipping:gift_new", customer_id=chosen[0])
