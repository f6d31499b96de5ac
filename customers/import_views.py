"""The customer import upload form (owner and manager): /admin/customers/import/."""

from django import forms
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
    problems = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        # Read one byte past the limit so an oversized file is refused, not truncated.
        data = upload.read(MAX_FILE_BYTES + 1)
        try:
            result = import_customers(data, form.cleaned_data["format"], request=request)
        except ImportRefused as refused:
            problems = [str(p) for p in refused.problems]
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
        "max_mb": MAX_FILE_BYTES // (1024 * 1024),
    }
    return render(request, "customers/import/upload.html", context)
