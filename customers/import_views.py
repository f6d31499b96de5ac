"""The customer import upload form (owner and manager): /admin/customers/import/."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.importing import MAX_FILE_BYTES, ImportRefused, import_customers
from shopguard.access import vault_view


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV ファイル"))
    format = forms.ChoiceField(
        label=gettext_lazy("形式"),
        choices=[("shopify", gettext_lazy("Shopify 顧客エクスポート (CSV)"))],
    )


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
            messages.success(
                request,
                _("%(created)d 件を登録し、%(updated)d 件を更新しました。")
                % {"created": result.created, "updated": result.updated},
            )
            return redirect("customers_import")
    context = {
        **admin.site.each_context(request),
        "title": _("顧客のインポート"),
        "form": form,
        "problems": problems,
        "problem_count": refusal.total if refusal else 0,
        "not_shown": refusal.not_shown if refusal else 0,
        "max_mb": MAX_FILE_BYTES // (1024 * 1024),
        "max_rows": f"{settings.SHOPGUARD_IMPORT_MAX_ROWS:,}",
    }
    return render(request, "customers/import/upload.html", context)
