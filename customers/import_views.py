"""The customer import upload form (owner and manager): /admin/customers/import/."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.importing import MAX_FILE_BYTES, ImportRefused, import_customers
from customers.models import Customer
from vault.access import vault_view

RESULT_SESSION_KEY = "customer_import_result"
# The result page links this many of the customers an import created, by short id; the
# rest are at the top of the newest-first customer list.
CREATED_LINKS = 20


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV ファイル"))
    format = forms.ChoiceField(
        label=gettext_lazy("形式"),
        choices=[("shopify", gettext_lazy("Shopify 顧客エクスポート (CSV)"))],
    )


def remember_result(request, result):
    """Keep the counts and the first created ids (no personal data) for the result page."""
    request.session[RESULT_SESSION_KEY] = {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "created_ids": [str(pk) for pk in result.created_ids[:CREATED_LINKS]],
    }


def recalled_result(request):
    """The last import's result, shown once after the redirect, with links to what it made."""
    result = request.session.pop(RESULT_SESSION_KEY, None)
    if result is None:
        return None
    created = Customer.objects.filter(pk__in=result["created_ids"]).only("id")
    customers = created.order_by("created_at")
    result["created_links"] = [
        (c.short_id, reverse("admin:customers_customer_view", args=[c.pk])) for c in customers
    ]
    result["nothing_changed"] = not (result["created"] or result["updated"])
    return result


@vault_view("customers.import_customers")
def upload_customers(request):
    """Upload a customer CSV; import all of it or nothing, listing problems by line."""
    form = ImportForm(request.POST or None, request.FILES or None)
    problems, refusal = [], None
    if request.method == "POST" and form.is_valid():
        # The upload handler spooled the file to disk past a few MB; the import reads
        # it in chunks, never whole.
        upload = form.cleaned_data["file"]
        try:
            result = import_customers(upload, form.cleaned_data["format"], request=request)
        except ImportRefused as refused:
            problems, refusal = [str(p) for p in refused.problems], refused
        else:
            remember_result(request, result)
            return redirect("customers:import")
    context = {
        **admin.site.each_context(request),
        "title": _("顧客のインポート"),
        "form": form,
        "result": recalled_result(request) if request.method == "GET" else None,
        "problems": problems,
        "problem_count": refusal.total if refusal else 0,
        "not_shown": refusal.not_shown if refusal else 0,
        "max_mb": MAX_FILE_BYTES // (1024 * 1024),
        "max_rows": f"{settings.SHOPGUARD_IMPORT_MAX_ROWS:,}",
    }
    return render(request, "customers/import/upload.html", context)
