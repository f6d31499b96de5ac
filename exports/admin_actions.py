"""The customer list's admin action: start an export request for the ticked customers.

Offered on the customer list from ``ExportsConfig.ready()``, through the customer
admin's hook (``customers.admin.offer_list_action``), to who may ask for an export.
"""

from django.contrib import admin
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

# Who sees the action: who may ask for an export (the new request's page asks the same).
REQUEST_EXPORTS = "exports.add_exportrequest"
# The ticked ids wait in the session (never in the URL) until the request is made.
SELECTED_SESSION_KEY = "export-selected-customers"
# More than this is "all customers" or a purchase filter, not a hand-picked selection.
MAX_SELECTED = 10_000


@admin.action(description=_("選んだ顧客をエクスポート申請する"))
def export_selected(modeladmin, request, queryset):
    ids = [str(pk) for pk in queryset.order_by().values_list("pk", flat=True)[:MAX_SELECTED]]
    request.session[SELECTED_SESSION_KEY] = ids
    return redirect("exports:new")
