"""Customer vault pages beside the admin's own: reveal a value, exact search, anonymise.

Listed in customers/urls.py (mounted at /admin/customers/) and gated like admin pages,
by ``vault.access.vault_view``.
"""

from django.contrib import admin, messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.reauth import reauth_redirect, require_recent_auth
from customers import reading, services
from customers.forms import CustomerSearchForm, RevealForm
from customers.models import PERSONAL_FIELDS, Customer, Purchase
from vault.access import vault_view
from vault.japan import postal_address


def get_customer_for(request, object_id):
    """The customer ``object_id`` (``vault_view`` has checked the permission), or 404."""
    return get_object_or_404(Customer, pk=object_id)


def get_purchase_for(request, object_id):
    """A purchase the person may see (staff never get sensitive ones), or 404."""
    return get_object_or_404(Purchase.objects.visible_to(request.user), pk=object_id)


def admin_context(request, customer, title):
    return {
        **admin.site.each_context(request),
        "opts": Customer._meta,
        "customer": customer,
        "title": title,
        "change_url": reverse("admin:customers_customer_view", args=[customer.pk]),
    }


def reveal_page(request, customer, label, reveal, *, back=None, also_known=None):
    """Ask for a reason (GET); with a valid reason (POST) show the value in this response.

    ``back`` is (url, words) of the way back when it is not the customer's page (a gift
    shipment's); ``also_known()`` gives more values the reason must not quote (its
    recipient's), checked like the customer's own."""
    posted = request.method == "POST"
    known = []
    if posted:
        known = reading.reason_check_values(customer) + (also_known() if also_known else [])
    form = RevealForm(request.POST if posted else None, known_values=known)
    context = admin_context(request, customer, _("個人情報の表示"))
    context.update(form=form, label=label)
    if back is not None:
        context.update(change_url=back[0], back_words=back[1])
    status = 200
    if posted and form.is_valid():
        try:
            context["value"] = reveal(form.reason)
        except services.RevealQuotaExceeded as refusal:
            context["refused"] = refusal.message
            status = 429
        except services.RevealNeedsReauthentication:
            # Past the hour's guide: confirm the password, then press the button again.
            return reauth_redirect(request)
    context["reveals_left"] = left = services.reveals_left(request.user)
    if left == 0 and "value" not in context:
        # At the quota there is no form to fill in: only the message and the way back.
        context["refused"] = services.RevealQuotaExceeded.message
        context["form"] = None
    return render(request, "admin/customers/reveal.html", context, status=status)


@vault_view("customers.reveal_customer")
def reveal_customer_field(request, object_id, field):
    customer = get_customer_for(request, object_id)
    if field not in PERSONAL_FIELDS:
        raise Http404
    label = Customer._meta.get_field(field).verbose_name
    return reveal_page(
        request, customer, label, lambda why: reading.reveal_field(request, customer, field, why)
    )


@vault_view("customers.reveal_customer")
def reveal_purchase_product(request, object_id):
    purchase = get_purchase_for(request, object_id)
    label = Purchase._meta.get_field("product_name").verbose_name
    return reveal_page(
        request,
        purchase.customer,
        label,
        lambda why: reading.reveal_product_name(request, purchase, why),
    )


@vault_view("customers.view_customer")
@require_POST
def search_customers(request):
    """Exact search: the term arrives in the POST body and leaves as a token in the URL."""
    changelist = reverse("admin:customers_customer_changelist")
    form = CustomerSearchForm(request.POST)
    if not form.is_valid():
        return redirect(changelist)
    token = services.remember_search(request, form.cleaned_data["q"])
    if token is None:
        messages.error(request, _("検索語を読み取れませんでした。"))
        return redirect(changelist)
    return redirect(f"{changelist}?{services.SEARCH_TOKEN_VAR}={token}")


@vault_view("customers.delete_customer")
@require_recent_auth
def anonymise_customer(request, object_id):
    """Owner only, after re-authentication: overwrite a customer's personal data."""
    customer = get_customer_for(request, object_id)
    context = admin_context(request, customer, _("顧客の匿名化"))
    if request.method == "POST":
        services.anonymise_customer(request, customer)
        messages.success(request, _("%(customer)s を匿名化しました。") % {"customer": customer})
        return redirect(context["change_url"])
    return render(request, "admin/customers/anonymise.html", context)


@vault_view("customers.change_customer")
@require_POST
def postal_code_address(request):
    """The address Japan Post gives for a typed postal code, as JSON (offline data).

    The code arrives in the POST body (a postal code is part of an address: never in a
    URL). Answers 404 with a sentence when no such code exists.
    """
    found = postal_address(request.POST.get("code", ""))
    if found is None:
        message = _("この郵便番号は見つかりません。番号を確かめてください。")
        return JsonResponse({"error": message}, status=404)
    return JsonResponse({"prefecture": found.prefecture, "city": found.city, "town": found.town})
