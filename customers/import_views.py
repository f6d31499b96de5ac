"""The customer import upload form (owner and manager): /admin/customers/import/.

It takes the platforms' customer files, saved mappings and their order files (purchases,
and the shipments the shipping app builds from them)."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.importing import (
    MAX_FILE_BYTES,
    ImportRefused,
    import_customers,
    preview,
    sample,
)
from customers.models import Customer, ImportPreset
from customers.orders import ORDER_FORMATS, import_orders, order_layouts
from customers.platforms import IGNORE, KEYS, guess_key, platform_layouts
from vault.access import vault_view

RESULT_SESSION_KEY = "customer_import_result"
# The result page links this many of the customers an import created, by short id; the
# rest are at the top of the newest-first customer list.
CREATED_LINKS = 20


MAP = "map"  # the format choice that opens the mapping page for any other CSV
PRESET = "preset:"  # a saved mapping's choice: "preset:<pk>"


def format_choices():
    """The platforms' layouts, the saved mappings, and mapping a new kind of file."""
    choices = [(name, _(layout.label)) for name, layout in platform_layouts().items()]
    for preset in ImportPreset.objects.only("pk", "name"):
        label = _("保存した列の対応: %(name)s") % {"name": preset.name}
        choices.append((f"{PRESET}{preset.pk}", label))
    choices.append((MAP, _("その他の CSV（BASE、STORES など）: 列を対応づける")))
    choices += [(name, _(layout.label)) for name, layout in order_layouts().items()]
    return choices


def layout_of(choice):
    """What ``import_customers`` takes for a format choice: a name, or a saved Layout."""
    if choice.startswith(PRESET):
        return get_object_or_404(ImportPreset, pk=choice.removeprefix(PRESET)).layout()
    return choice


class MappingForm(forms.Form):
    """Each column of a file mapped to a field (or ignored), saved under a name."""

    name = forms.CharField(
        label=gettext_lazy("この対応の名前"),
        max_length=40,
        help_text=gettext_lazy("次回から「形式」で選べます（例: BASE 顧客）。"),
    )

    def __init__(self, *args, header=(), **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            header = self.data.getlist("header")
        self.header = list(header)
        choices = [(IGNORE, _("使わない")), *((key, label) for key, label in KEYS.items())]
        for position, title in enumerate(self.header):
            self.fields[f"column_{position}"] = forms.ChoiceField(
                label=title or f"#{position + 1}",
                choices=choices,
                required=False,
                initial=guess_key(title),
            )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if ImportPreset.objects.filter(name=name).exists():
            raise forms.ValidationError(_("同じ名前の対応があります。別の名前にしてください。"))
        return name

    def clean(self):
        cleaned = super().clean()
        chosen = [cleaned.get(f"column_{i}") for i in range(len(self.header))]
        if not {"name", "last_name", "first_name"} & set(chosen):
            raise forms.ValidationError(_("氏名（または姓・名）の列を選んでください。"))
        return cleaned

    def columns(self):
        data = self.cleaned_data
        return {title: data[f"column_{i}"] for i, title in enumerate(self.header) if title}

    def rows(self):
        """(header, its select) pairs in the file's order, for the template."""
        return [(title, self[f"column_{i}"]) for i, title in enumerate(self.header)]


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV ファイル"))
    format = forms.ChoiceField(label=gettext_lazy("形式"), choices=format_choices)

    def clean_format(self):
        choice = self.cleaned_data["format"]
        if choice == MAP and isinstance(self, ConfirmForm):
            raise forms.ValidationError(_("列の対応を保存してから、その対応を選んでください。"))
        return choice


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


def remember_order_result(request, result):
    """Keep an order file's counts for the result page."""
    request.session[RESULT_SESSION_KEY] = {
        "orders_file": True,
        "orders": result.orders,
        "purchases": result.purchases,
    }


def recalled_result(request):
    """The last import's result, shown once after the redirect, with links to what it made."""
    result = request.session.pop(RESULT_SESSION_KEY, None)
    if result is None or result.get("orders_file"):
        return result
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
    initial = {"format": request.GET.get("format", "shopify")}
    form = form_class(request.POST or None, request.FILES or None, initial=initial)
    problems, refusal, previewed = [], None, None
    if request.method == "POST" and form.is_valid():
        # The upload handler spooled the file to disk past a few MB; the import reads
        # it in chunks, never whole.
        try:
            if form.cleaned_data["format"] == MAP:
                return _mapping_page(request, form.cleaned_data["file"])
            if form.cleaned_data["format"] in ORDER_FORMATS:
                # Orders only add (purchases and their shipments): nothing to compare first.
                remember_order_result(request, _order_import(request, form.cleaned_data))
                return redirect("customers:import")
            if confirming:
                result = _confirmed_import(request, form.cleaned_data)
            else:
                previewed = _preview(request, form.cleaned_data)
                needs_a_look = previewed.needs_a_look
                result = None if needs_a_look else _new_only_import(request, form, previewed)
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
        "uncategorised": refusal.uncategorised if refusal else [],
        "max_mb": MAX_FILE_BYTES // (1024 * 1024),
        "max_rows": f"{settings.SHOPGUARD_IMPORT_MAX_ROWS:,}",
    }
    return render(request, "customers/import/upload.html", context)


def _preview(request, cleaned):
    show_values = request.user.has_perm("customers.reveal_customer")
    layout = layout_of(cleaned["format"])
    return preview(cleaned["file"], layout, request=request, show_values=show_values)


def _new_only_import(request, form, previewed):
    """Nothing registered would change: import at once (the file is the one checked)."""
    data = form.cleaned_data
    return import_customers(
        data["file"],
        layout_of(data["format"]),
        request=request,
        expected_digest=previewed.digest,
    )


def _order_import(request, cleaned):
    return import_orders(cleaned["file"], cleaned["format"], request=request, actor=request.user)


def _confirmed_import(request, cleaned):
    return import_customers(
        cleaned["file"],
        layout_of(cleaned["format"]),
        request=request,
        accept_lost=cleaned["accept_lost"],
        expected_digest=cleaned["digest"],
    )


def _confirm_form(form, previewed):
    initial = {"format": form.cleaned_data["format"], "digest": previewed.digest}
    # Its own ids: the upload form on the same page has id_file and id_format.
    return ConfirmForm(initial=initial, auto_id="confirm_%s")


def _mapping_page(request, upload):
    """The file's header and five masked rows, with a field to choose for each column."""
    found = sample(upload)
    form = MappingForm(header=found.header)
    return _render_mapping(request, form, found)


def _render_mapping(request, form, found=None):
    context = {
        **admin.site.each_context(request),
        "title": _("列の対応づけ"),
        "form": form,
        "sample": found,
    }
    return render(request, "customers/import/mapping.html", context)


@vault_view("customers.import_customers")
def save_mapping(request):
    """Save a mapping under its name; the import page then offers it as a format."""
    if request.method != "POST":
        return redirect("customers:import")
    form = MappingForm(request.POST)
    if not form.is_valid():
        return _render_mapping(request, form)
    preset = ImportPreset.objects.create(
        name=form.cleaned_data["name"], columns=form.columns(), created_by=request.user
    )
    return redirect(f"{reverse('customers:import')}?format={PRESET}{preset.pk}")
