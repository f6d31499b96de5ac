"""The customer list's admin action: start an export request for the ticked customers."""

from django.contrib import admin
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from customers.models import Customer

# The ticked ids wait in the session (never in the URL) until the request is made.
SELECTED_SESSION_KEY = "export-selected-customers"
# More than this is "all customers" or a purchase filter, not a hand-picked selection.
MAX_SELECTED = 10_000


@admin.action(description=_("選んだ顧客をエクスポート申請する"), permissions=["export"])
def export_selected(modeladmin, request, queryset):
    ids = [str(pk) for pk in queryset.order_by().values_list("pk", flat=True)[:MAX_SELECTED]]
    request.session[SELECTED_SESSION_KEY] = ids
    return redirect("exports:new")


def has_export_permission(modeladmin, request):
    return request.user.has_perm("exports.add_exportrequest")


def add_export_action():
    """Add ``export_selected`` to the Customer admin registered on the project's site."""
    model_admin = admin.site._registry.get(Customer)
    if model_admin is None:
        return
    model_admin.actions = [*(model_admin.actions or ()), export_selected]
    type(model_admin).has_export_permission = has_export_permission
