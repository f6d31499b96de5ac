"""Admin for customers and purchases: masked lists, exact search through the blind index,
change forms that never show a stored value, and an audit record for every page."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AdminTextInputWidget
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import dateformat, formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.reauth import require_recent_auth
from audit import changes, ledger
from audit.actions import Action
from customers import masking, reading, services
from customers.fields import masked_fields
from customers.forms import CustomerForm, CustomerSearchForm, PurchaseForm
from customers.models import Category, Customer, ProductCategory, Purchase
from customers.paging import KeysetChangeList
from vault.access import PermissionAdmin
from vault.encryption import EncryptedTextField

SEARCH_KIND_LABELS = {
    "email": _("メールアドレス"),
    "phone": _("電話番号"),
    "name": _("氏名（フルネーム）"),
    "name_kana": _("フリガナ"),
}


class TokenSearchChangeList(ChangeList):
    """The search token ``?s=`` is not a field lookup: keep it out of the filters."""

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        lookup_params.pop(services.SEARCH_TOKEN_VAR, None)
        return lookup_params


# The customer list's columns, and the two layouts its prepared rows write (without and
# with the selection box of the list actions).
LIST_COLUMNS = ("display_id", "masked_name", "masked_kana", "masked_email", "masked_phone")
LIST_COLUMNS += ("masked_area", "purchase_count", "created_at")
LIST_LAYOUTS = (LIST_COLUMNS, ("action_checkbox", *LIST_COLUMNS))


# One row's cells as Django's change list writes them (admin_list.items_for_result): the
# selection box (with list actions), the short id linking to the customer's page, the
# masked values, the purchase count and the creation time. Values are escaped first.
ROW_CHECKBOX = (
    '<td class="action-checkbox"><input type="checkbox" name="_selected_action" '
    'value="{pk}" class="action-select" aria-label="{label}"></td>'
)
ROW_CELLS = (
    '<th class="field-display_id"><a href="{url}">{short_id}</a></th>'
    '<td class="field-masked_name">{name}</td>'
    '<td class="field-masked_kana">{kana}</td>'
    '<td class="field-masked_email">{email}</td>'
    '<td class="field-masked_phone">{phone}</td>'
    '<td class="field-masked_area">{area}</td>'
    '<td class="field-purchase_count">{purchases}</td>'
    '<td class="field-created_at nowrap">{created}</td>'
)


class CustomerChangeList(KeysetChangeList, TokenSearchChangeList):
    """The customer list: newest first, paged by keyset (customers.paging). A row opens
    the customer's page (a read view); editing is a separate step from there."""

    # Reversed once per page, not once per row (50 reversals were 5 % of the page).
    _PLACEHOLDER = uuid.UUID(int=0)

    def url_for_result(self, result):
        if not hasattr(self, "_view_url"):
            self._view_url = reverse("admin:customers_customer_view", args=[self._PLACEHOLDER])
        return self._view_url.replace(str(self._PLACEHOLDER), str(result.pk))

    def prepared_rows(self):
        """The page's rows, each written once as the HTML Django's change list writes for
        it (admin/change_list_results.html), for one template loop: the admin's per-cell
        machinery (a field look-up, formatting and escaping for each of 400 cells, and a
        template variable each) was most of the page's time (issue #26). Called while the
        page is rendered, inside the list page's read scope. None when the page is not the
        plain list these rows reproduce (a popup, an editable list, other columns or
        sorting links): then the admin's own rendering is used."""
        columns = tuple(self.list_display)
        if self.is_popup or self.formset is not None or columns not in LIST_LAYOUTS:
            return None
        self.prepared_headers = list(result_headers(self))
        if any(header["sortable"] for header in self.prepared_headers):
            return None  # the template writes the headers without sorting links
        placeholder = str(self._PLACEHOLDER)
        url = add_preserved_filters(
            {"preserved_filters": self.preserved_filters, "opts": self.opts},
            self.url_for_result(Customer(pk=self._PLACEHOLDER)),
        )
        cells = ROW_CELLS
        if columns[0] == "action_checkbox":
            # The label as AuditedAdmin.action_checkbox writes it (the translated words
            # unescaped, the customer's name for the row escaped).
            select = gettext("Select this object for an action - {}")
            select = select.replace("{", "{{").replace("}", "}}").replace("{{}}", "{label}")
            cells = ROW_CHECKBOX.replace("{label}", select) + ROW_CELLS
        empty = escape(self.model_admin.get_empty_value_display())
        # What formats.localize() does for each row's creation time, with the language's
        # format looked up once; and str(customer) with its one word translated once.
        when = formats.get_format("DATETIME_FORMAT")
        word = gettext("顧客")

        def shown(value):  # escaped, and a blank value as the admin shows it
            return escape(value) if value.strip() else empty

        rows = []
        for customer in self.result_list:
            pk = str(customer.pk)
            html = cells.format(
                pk=escape(pk),
                label=escape(f"{word} {customer.short_id}"),  # str(customer)
                url=escape(url.replace(placeholder, pk)),
                short_id=shown(customer.short_id),
                name=shown(masking.mask_name(customer.name)),
                kana=shown(masking.mask_kana(customer.name_kana)),
                email=shown(masking.mask_email(customer.email)),
                phone=shown(masking.mask_phone(customer.phone)),
                area=shown(masking.mask_address(customer.address)),
                purchases=escape(formats.number_format(customer.purchase_count)),
                created=escape(dateformat.format(timezone.localtime(customer.created_at), when)),
            )
            rows.append(mark_safe(f"<tr>{html}</tr>"))  # noqa: S308 - every value escaped
        # The table's head and body each as one value for the template (a template
        # variable per header and per row cost more than the rows' own writing).
        self.prepared_head = mark_safe("".join(map(header_html, self.prepared_headers)))  # noqa: S308
        self.prepared_body = mark_safe("\n".join(rows))  # noqa: S308 - rows escaped above
        return rows


def header_html(header):
    """One column's header as the change list's template writes it (a ``th`` with its
    class and ``header.text|capfirst``, escaped unless the text is already safe)."""
    text = header["text"]
    capped = str(text)[:1].upper() + str(text)[1:]
    shown = conditional_escape(mark_safe(capped) if isinstance(text, SafeData) else capped)  # noqa: S308
    return (
        f'<th scope="col"{header["class_attrib"]}>'
        f'<div class="text"><span>{shown}</span></div><div class="clear"></div></th>'
    )


class AuditedAdmin(PermissionAdmin, admin.ModelAdmin):
    """Records every list page (ids shown, kind of search) and every detail page, and asks
    for re-authentication before a deletion, which it records too."""

    # Bulk deletion would skip the re-authentication and per-object records.
    actions = None
    # Encrypted fields are TextFields underneath; they hold one line, not a text area.
    formfield_overrides = {EncryptedTextField: {"widget": AdminTextInputWidget}}

    # The ledger actions of this admin's add and change forms.
    add_action = change_action = None

    def action_checkbox(self, obj):
        """The row's selection box, the same HTML as Django's, written directly: going
        through the checkbox widget's template for each of 50 rows was a quarter of the
        customer list's rendering time (issue #26)."""
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )

    def changelist_view(self, request, extra_context=None):
        # The page is rendered inside the reading path's scope: its rows are recorded
        # (customer.list) before any of their values is read. A page that only looks
        # runs in no transaction (reading.work_transaction says why).
        with reading.work_transaction(request):
            response = super().changelist_view(request, extra_context)
            changelist = getattr(response, "context_data", {}).get("cl")
            if changelist is not None:
                search = services.recalled_search(request)
                rows = list(changelist.result_list)
                kind = search["kind"] if search else None
                with reading.list_page(
                    request, rows, model_name=self.opts.model_name, search_kind=kind
                ):
                    response.render()
        return response

    def extra_change_context(self, request, object_id):
        """More context for the change page, built inside its read scope."""
        return {}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Built and rendered inside the reading path's scope for this one object; a page
        # shown (not a redirect after saving, which save_model records) is customer.view.
        with reading.object_page(request, self.model, object_id) as page:
            extra = {**self.extra_change_context(request, object_id), **(extra_context or {})}
            response = super().change_view(request, object_id, form_url, extra)
            original = getattr(response, "context_data", {}).get("original")
            if original is not None and response.status_code == 200:
                page.shown(original)
                response.render()
        return response

    def delete_view(self, request, object_id, extra_context=None):
        if not self.has_delete_permission(request):
            raise PermissionDenied
        return self.confirmed_delete_view(request, object_id, extra_context)

    @require_recent_auth
    def confirmed_delete_view(self, request, object_id, extra_context=None):
        """Django's delete page and its button, after re-authentication."""
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        with changes.recorded_by_caller():
            services.record_deletion(request, obj)
            super().delete_model(request, obj)

    def save_model(self, request, obj, form, change):
        # One entry per save, naming the fields the person changed in the form.
        with transaction.atomic(), changes.recorded_by_caller():
            if change and isinstance(obj, Customer):
                # A changed e-mail or phone is its own entry, and the previous one is kept.
                reading.keep_previous_contact(request, obj, form.changed_data)
            super().save_model(request, obj, form, change)
            ledger.record(
                self.change_action if change else self.add_action,
                request=request,
                target=obj,
                customers=reading.customer_ids_of([obj]),
                detail={"fields": sorted(form.changed_data)},
            )


@dataclass(frozen=True)
class ListAction:
    """An admin action another app offers on the customer list, for who holds
    ``permission`` ("app_label.codename")."""

    action: Callable
    permission: str


# The customer list's actions all belong to other apps, which the customers app may not
# import: each app offers its own from its AppConfig.ready() with offer_list_action()
# (exports: "export the selected customers"). Nothing else is offered there.
LIST_ACTIONS: list[ListAction] = []


def offer_list_action(action, permission):
    """Offer the admin action ``action`` on the customer list to people holding
    ``permission``; called from the offering app's ``AppConfig.ready()``."""
    offered = ListAction(action, permission)
    if offered not in LIST_ACTIONS:
        LIST_ACTIONS.append(offered)


@admin.register(Customer)
class CustomerAdmin(AuditedAdmin):
    form = CustomerForm
    add_action, change_action = Action.CUSTOMER_ADD, Action.CUSTOMER_CHANGE
    list_display = LIST_COLUMNS
    list_display_links = ("display_id",)
    list_per_page = 50
    # Paged by keyset on the newest-first index (customers.paging): no COUNT(*), and so
    # no "of N in total" either; and always newest first, the one order that index serves.
    show_full_result_count = False
    sortable_by = ()
    readonly_fields = ("display_id", "created_at", "updated_at", "anonymised_at")
    fieldsets = [
        (None, {"fields": ["display_id", "created_at", "updated_at", "anonymised_at"]}),
        (_("氏名・性別"), {"fields": ["name", "name_kana", "gender"]}),
        (_("連絡先"), {"fields": ["postal_code", "address", "phone", "email"]}),
        (
            _("カード（決済代行会社のトークンのみ）"),
            {"fields": ["card_token", "card_brand", "card_last4", "card_exp"]},
        ),
    ]

    @property
    def actions(self):
        return [offered.action for offered in LIST_ACTIONS]

    def get_actions(self, request):
        # Only the offered actions, each to who holds its permission: never Django's bulk
        # deletion, which would skip re-authentication and the per-customer records.
        allowed = {o.action.__name__ for o in LIST_ACTIONS if request.user.has_perm(o.permission)}
        return {name: a for name, a in super().get_actions(request).items() if name in allowed}

    def get_urls(self):
        view = self.admin_site.admin_view(self.detail_view)
        return [
            path("<uuid:object_id>/", view, name="customers_customer_view"),
            *super().get_urls(),
        ]

    def detail_view(self, request, object_id):
        """The customer's page: masked values with a reveal button each, purchases, and
        an edit button; read (and recorded as customer.view) like the change page."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        with reading.object_page(request, Customer, object_id) as page:
            customer = self.get_object(request, str(object_id))
            if customer is None:
                raise Http404
            context = {
                **self.admin_site.each_context(request),
                **self.detail_context(request, customer),
                "opts": self.opts,
                "original": customer,
                "title": str(customer),
                "can_change": self.has_change_permission(request, customer),
            }
            response = TemplateResponse(request, "admin/customers/customer/detail.html", context)
            page.shown(customer)
            response.render()
        return response

    def response_change(self, request, obj):
        # After saving, back to the customer's page (unless "save and continue editing").
        if "_continue" in request.POST or "_addanother" in request.POST:
            return super().response_change(request, obj)
        super().response_change(request, obj)  # its success message
        return HttpResponseRedirect(reverse("admin:customers_customer_view", args=[obj.pk]))

    def get_changelist(self, request, **kwargs):
        return CustomerChangeList

    def get_queryset(self, request):
        # A correlated subquery, not a join: computed for the page's 50 rows only.
        purchases = Purchase.objects.filter(customer=OuterRef("pk")).order_by()
        counted = purchases.values("customer").annotate(n=Count("pk")).values("n")
        return super().get_queryset(request).annotate(purchase_count=Coalesce(Subquery(counted), 0))

    def get_search_results(self, request, queryset, search_term):
        # The admin's own ?q= search is never used: terms arrive by POST (views.search).
        search = services.recalled_search(request)
        if search is not None:
            queryset = reading.matching_customers(queryset, search["kind"], search["digest"])
        elif request.GET.get(services.SEARCH_TOKEN_VAR):
            queryset = queryset.none()  # an expired or foreign token finds nothing
        return queryset, False

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets[1:]
        return self.fieldsets

    def changelist_view(self, request, extra_context=None):
        search = services.recalled_search(request)
        extra = {
            "search_form": CustomerSearchForm(),
            "search_active": bool(request.GET.get(services.SEARCH_TOKEN_VAR)),
            # What was searched, by kind only: the term itself is kept nowhere.
            "search_kind_label": SEARCH_KIND_LABELS[search["kind"]] if search else None,
            "title": _("顧客一覧"),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra)

    def extra_change_context(self, request, object_id):
        customer = self.get_object(request, object_id)
        if customer is None or not self.has_view_permission(request, customer):
            return {}
        return {
            "may_read_ledger": request.user.has_perm("audit.view_auditentry"),
            "may_anonymise": request.user.has_perm("customers.delete_customer"),
            "who_looked_url": reverse("admin:audit_auditentry_customer", args=[customer.pk]),
            "view_url": reverse("admin:customers_customer_view", args=[customer.pk]),
            "title": _("%(customer)s の編集") % {"customer": customer},
        }

    def detail_context(self, request, customer):
        """The masked values with their reveal links, purchases, and the link to the ledger
        (shown to who may read it)."""
        user = request.user
        visible = services.visible_purchases(user, customer)
        return {
            "masked_fields": masked_fields(customer),
            "can_reveal": user.has_perm("customers.reveal_customer"),
            "purchases": [
                (p, masking.mask_product_name(p.product_name) if p.category.sensitive else None)
                for p in visible.shown
            ],
            "hidden_sensitive_count": visible.hidden,
            "can_add_purchase": user.has_perm("customers.add_purchase"),
            "may_read_ledger": user.has_perm("audit.view_auditentry"),
            "who_looked_url": reverse("admin:audit_auditentry_customer", args=[customer.pk]),
            "edit_url": reverse("admin:customers_customer_change", args=[customer.pk]),
        }

    @admin.display(description=_("顧客ID"), ordering="created_at")
    def display_id(self, obj):
        return obj.short_id

    @admin.display(description=_("氏名"))
    def masked_name(self, obj):
        return masking.mask_name(obj.name)

    @admin.display(description=_("フリガナ"))
    def masked_kana(self, obj):
        return masking.mask_kana(obj.name_kana)

    @admin.display(description=_("メールアドレス"))
    def masked_email(self, obj):
        return masking.mask_email(obj.email)

    @admin.display(description=_("電話番号"))
    def masked_phone(self, obj):
        return masking.mask_phone(obj.phone)

    @admin.display(description=_("都道府県・市区町村"))
    def masked_area(self, obj):
        return masking.mask_address(obj.address)

    @admin.display(description=_("購入数"), ordering="purchase_count")
    def purchase_count(self, obj):
        return obj.purchase_count


@admin.register(Purchase)
class PurchaseAdmin(AuditedAdmin):
    form = PurchaseForm
    add_action, change_action = Action.PURCHASE_ADD, Action.PURCHASE_CHANGE
    list_display = ("display_id", "customer_link", "category", "product", "amount")
    list_display += ("purchased_on",)
    list_display_links = ("display_id",)
    list_per_page = 50
    raw_id_fields = ("customer",)
    date_hierarchy = "purchased_on"

    def get_queryset(self, request):
        return Purchase.objects.visible_to(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "category" and not request.user.has_perm(
            "customers.view_sensitive_purchase"
        ):
            kwargs["queryset"] = Category.objects.filter(sensitive=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("購入ID"), ordering="purchased_on")
    def display_id(self, obj):
        return obj.short_id

    @admin.display(description=_("顧客"))
    def customer_link(self, obj):
        url = reverse("admin:customers_customer_view", args=[obj.customer_id])
        return format_html('<a href="{}">{}</a>', url, str(obj.customer_id)[:8])

    @admin.display(description=_("商品名"))
    def product(self, obj):
        if obj.category.sensitive:
            return masking.mask_product_name(obj.product_name)
        return obj.product_name


@admin.register(ProductCategory)
class ProductCategoryAdmin(PermissionAdmin, admin.ModelAdmin):
    """The category of each product order files name, chosen once (customers.orders)."""

    list_display = ("product_name", "category")
    list_filter = ("category",)
    search_fields = ("product_name",)
