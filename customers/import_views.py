"""The customer import upload form (owner and manager): /admin/customers/import/."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.importing import MAX_FILE_BYTES, ImportRefused, import_customers, preview
from customers.models import Customer
from customers.platforms import platform_layouts
from vault.access import vault_view

RESULT_SESSION_KEY = "customer_import_result"
# The result page links this many of the customers an import created, by short id; the
# rest are at the top of the newest-first customer list.
CREATED_LINKS = 20


def format_choices():
    """The platforms' layouts, named in the page's language."""
    return [(name, _(layout.label)) for name, layout in platform_layouts().items()]


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV ファイル"))
    format = forms.ChoiceField(label=gettext_lazy("形式"), choices=format_choices)


class ConfirmForm(ImportForm):
    """The same file again, after its changes to known customers were shown."""

    digest = forms.CharField(widget=forms.HiddenInput, max_length=64)
    accept_lost = forms.BooleanField(
        label=gettext_lazy("文字化けのように見える値（?、？、�）も登録する"),
        required=False,
        help_text=gettext_lazy(
            "選ばなければ、登録済みの値をそのまま残します（おすすめ）。"
            "元のファイルを UTF-8 で保存し直すと、文字化けせずに読み込めます。"
        ),
    )


def remember_result(request, result):
    """Keep the counts and the first created ids (no personal data) for the result page."""
    request.session[RESULT_SESSION_KEY] = {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "created_ids": [str(pk) for pk in result.created_ids[:CREATED_LINKS]],
        "kept_lost": result.kept_lost,
    }


def recalled_result(request):
    """The last import's result, shown once after the redirect, with links to what it made."""
    result = request.session.pop(RESULT_SESSION_KEY, None)
    if result is None:
        return None
    result.setdefault("kept_lost", 0)
    created = Customer.objects.filter(pk__in=result["created_ids"]).only("id")
    customers = created.order_by("created_at")
    result["created_links"] = [
        (c.short_id, reverse("admin:customers_customer_view", args=[c.pk])) for c in customers
    ]
    result["nothing_changed"] = not (result["created"] or result["updated"])
    return result


@vault_view("customers.import_customers")
def upload_customers(request):
    """Upload a customer CSV; import all of it or nothing, listing problems by line.

    A file that would change customers already registered (a re-import) is shown first:
    per field, how many customers change, and for a person allowed to see the values,
    the first changes side by side. It is imported when the person sends the same file
    again with their choice about values that look like lost characters.
    """
    confirming = "digest" in request.POST
    form_class = ConfirmForm if confirming else ImportForm
    form = form_class(request.POST or None, request.FILES or None)
    problems, refusal, previewed = [], None, None
    if request.method == "POST" and form.is_valid():
        # The upload handler spooled the file to disk past a few MB; the import reads
        # it in chunks, never whole.
        try:
            if confirming:
                result = _confirmed_import(request, form.cleaned_data)
            else:
                previewed = _preview(request, form.cleaned_data)
                result = None if previewed.updated else _new_only_import(request, form, previewed)
        except ImportRefused as refused:
            problems, refusal, previewed = [str(p) for p in refused.problems], refused, None
        else:
            if result is not None:
                remember_result(request, result)
                return redirect("customers:import")
    context = {
        **admin.site.each_context(request),
        "title": _("顧客のインポート"),
        "form": form,
        "preview": previewed,
        "confirm_form": _confirm_form(form, previewed) if previewed else None,
        "result": recalled_result(request) if request.method == "GET" else None,
        "problems": problems,
        "problem_count": refusal.total if refusal else 0,
        "not_shown": refusal.not_shown if refusal else 0,
        "max_mb": MAX_FILE_BYTES // (1024 * 1024),
        "max_rows": f"{settings.SHOPGUARD_IMPORT_MAX_ROWS:,}",
    }
    return render(request, "customers/import/upload.html", context)


def _preview(request, cleaned):
    show_values = request.user.has_perm("customers.reveal_customer")
    return preview(cleaned["file"], cleaned["format"], request=request, show_values=show_values)


def _new_only_import(request, form, previewed):
    """Nothing registered would change: import at once (the file is the one checked)."""
    data = form.cleaned_data
    return import_customers(
        data["file"], data["format"], request=request, expected_digest=previewed.digest
    )


def _confirmed_import(request, cleaned):
    return import_customers(
        cleaned["file"],
        cleaned["format"],
        request=request,
        accept_lost=cleaned["accept_lost"],
        expected_digest=cleaned["digest"],
    )


def _confirm_form(form, previewed):
    initial = {"format": form.cleaned_data["format"], "digest": previewed.digest}
    return ConfirmForm(initial=initial, prefix=None)
