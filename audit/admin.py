"""The auditor's and owner's read-only views of the ledger and its alerts.

Nobody adds, changes or deletes ledger entries or alerts through the admin, the owner
included. Every reading of the ledger is itself recorded (``audit.read``,
``audit.export_csv``).

Links other apps may use:
- who looked at a customer: ``reverse("admin:audit_auditentry_customer", args=[pk])``
  (``/admin/audit/auditentry/customer/<id>/``, the list filtered by ``?customer=<id>``);
- a person's activity: ``reverse("admin:audit_auditentry_person", args=[user_pk])``
  (``/admin/audit/auditentry/person/<id>/``, the list filtered by ``?actor=<id>``).
"""

import contextlib
import csv
import re
import uuid

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from audit import alerts
from audit.actions import Action, Outcome
from audit.chain import CHAIN_FIELDS
from audit.ledger import record
from audit.models import Alert, AuditEntry, AuditEntryCustomer, ChangeLogEntry
from shopguard.access import RoleGatedAdmin, vault_view
from shopguard.log import looks_personal
from shopguard.roles import AUDITOR, OWNER
from shopguard.spreadsheet import safe_cell

if admin.site.is_registered(ChangeLogEntry):
    # auditlog registers its own admin for the log entry model; the ledger is the one
    # timeline people read, so the redacted change log stays out of the menu.
    admin.site.unregister(ChangeLogEntry)


class LedgerAdmin(RoleGatedAdmin, admin.ModelAdmin):
    """Viewing for the owner and the auditor (with the view permission); nothing else."""

    view_roles = (OWNER, AUDITOR)
    actions = None


class ValueFilter(admin.ListFilter):
    """A filter given by a query parameter only (an id typed into a link), shown as
    the current value with a link to clear it."""

    parameter_name = ""
    template = "audit/_value_filter.html"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        value = params.pop(self.parameter_name, None)
        self.value = (value[-1] if isinstance(value, list) else value) or None

    def has_output(self):
        return self.value is not None

    def expected_parameters(self):
        return [self.parameter_name]

    def choices(self, changelist):
        yield {
            "value": self.value,
            "clear_url": changelist.get_query_string(remove=[self.parameter_name]),
        }


class CustomerFilter(ValueFilter):
    title = _("顧客")
    parameter_name = "customer"

    def queryset(self, request, queryset):
        if self.value is None:
            return queryset
        entries = AuditEntryCustomer.objects.filter(customer_id=self.value).values("entry_id")
        return queryset.filter(pk__in=entries)


class ActorFilter(ValueFilter):
    title = _("利用者")
    parameter_name = "actor"

    def queryset(self, request, queryset):
        if self.value is None:
            return queryset
        # Only an id the column can hold names a person ("²" is a digit int() refuses,
        # a 40-digit number overflows the database's integer).
        if not (self.value.isascii() and self.value.isdigit()) or int(self.value) >= 2**63:
            return queryset.none()
        return queryset.filter(actor_id=int(self.value))


class ActionFilter(admin.SimpleListFilter):
    title = _("操作")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        actions = AuditEntry.objects.order_by("action").values_list("action", flat=True)
        return [(a, label_of(Action, a)) for a in actions.distinct()]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


# The ledger's own columns, in chain order; the CSV leaves out the previous chain value.
CSV_COLUMNS = [*(f for f in CHAIN_FIELDS if f != "prev_chain"), "chain"]


# Filter values are ids, action names, roles and dates. Anything else typed into the URL
# (an e-mail, a name, a phone number) is not copied into the ledger.
_FILTER_VALUE = re.compile(r"[A-Za-z0-9_.:+ -]{0,64}")
_LONG_NUMBER = re.compile(r"\d{7,}")


def safe_filter_value(value):
    with contextlib.suppress(ValueError):
        if parse_datetime(value) or parse_date(value):
            return value
    shaped = _FILTER_VALUE.fullmatch(value) and not _LONG_NUMBER.search(value.replace("-", ""))
    if shaped and not looks_personal(value):  # digits split by spaces: a card, a phone
        return value
    try:
        as_uuid = str(uuid.UUID(value))
    except ValueError:
        return "(not recorded)"
    # 32 digits also make a UUID: the scrubber's rule (a letter, or it is a number) decides.
    return "(not recorded)" if looks_personal(as_uuid) else as_uuid


_FILTER_KEY = re.compile(r"[a-z_]{1,40}")


def safe_filter_key(key):
    """A filter's name as recorded: the list's own names are words; anything else typed
    into the URL as a name is not copied into the ledger either."""
    return key if _FILTER_KEY.fullmatch(key) else "(not recorded)"


# Beside the codes, what they mean, in the language of the page.
CSV_LABELS = ["action_label", "outcome_label"]


def label_of(choices, value):
    """The label of a ledger name; names from before a rename are shown as they are."""
    return choices(value).label if value in choices.values else value


class Echo:
    def write(self, value):
        return value


@admin.register(AuditEntry)
class AuditEntryAdmin(LedgerAdmin):
    list_display = [
        "seq",
        "created_at",
        "actor",
        "actor_role",
        "action",
        "outcome",
        "target",
        "customer_count",
        "ip",
    ]
    list_display_links = ["seq"]
    list_filter = [
        ActorFilter,
        CustomerFilter,
        ActionFilter,
        "outcome",
        "actor_role",
        ("created_at", admin.DateFieldListFilter),
    ]
    date_hierarchy = "created_at"
    ordering = ["-seq"]
    list_per_page = 100
    show_full_result_count = False
    fields = [*CHAIN_FIELDS, "chain"]
    readonly_fields = fields
    change_list_template = "audit/auditentry_change_list.html"

    @admin.display(description=_("利用者"))
    def actor(self, entry):
        if entry.actor_id is None:
            return entry.actor_username
        url = reverse("admin:audit_auditentry_person", args=[entry.actor_id])
        return format_html('<a href="{}">{}</a>', url, entry.actor_username or entry.actor_id)

    @admin.display(description=_("対象"))
    def target(self, entry):
        return f"{entry.target_type} {entry.target_id}".strip()

    @admin.display(description=_("顧客数"))
    def customer_count(self, entry):
        return len(entry.customer_ids)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "customer/<str:customer_id>/",
                view(self.customer_view),
                name="audit_auditentry_customer",
            ),
            path("person/<int:user_id>/", view(self.person_view), name="audit_auditentry_person"),
            path("seq/<int:seq>/", view(self.seq_view), name="audit_auditentry_seq"),
            path("export.csv", view(self.csv_view), name="audit_auditentry_csv"),
            *super().get_urls(),
        ]

    def _changelist_url(self, **params):
        return reverse("admin:audit_auditentry_changelist") + "?" + urlencode(params)

    def customer_view(self, request, customer_id):
        """Who looked at this customer: the ledger filtered by the customer's id."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return redirect(self._changelist_url(customer=customer_id))

    def person_view(self, request, user_id):
        """Everything one person did."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return redirect(self._changelist_url(actor=user_id))

    def seq_view(self, request, seq):
        """One entry by its ledger number (the alert banner links here)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        entry = get_object_or_404(AuditEntry, seq=seq)
        return redirect("admin:audit_auditentry_change", entry.pk)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if getattr(response, "status_code", None) == 200:
            record(Action.AUDIT_READ, request=request, detail=self._read_detail(request, "list"))
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if getattr(response, "status_code", None) == 200:
            # Ledger entries are named by their sequence number, here as in alerts.
            seq = AuditEntry.objects.filter(pk=object_id).values_list("seq", flat=True).first()
            detail = self._read_detail(request, "entry")
            record(
                Action.AUDIT_READ, request=request, target=("audit.auditentry", seq), detail=detail
            )
        return response

    def _read_detail(self, request, view):
        """What was read: the view and its filters (ids, action names, dates only)."""
        filters = {
            safe_filter_key(key): safe_filter_value(request.GET[key])
            for key in sorted(request.GET)
            if key != "p"
        }
        return {"view": view, "filters": filters}

    def csv_view(self, request):
        """The ledger (as filtered on the list page) as CSV. It holds no personal data."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request).order_by("seq")
        record(Action.AUDIT_EXPORT_CSV, request=request, detail=self._read_detail(request, "csv"))
        writer = csv.writer(Echo())

        def rows():
            yield writer.writerow([*CSV_COLUMNS, *CSV_LABELS])
            for entry in queryset.iterator(chunk_size=2000):
                codes = [safe_cell(getattr(entry, c)) for c in CSV_COLUMNS]
                labels = [label_of(Action, entry.action), label_of(Outcome, entry.outcome)]
                yield writer.writerow([*codes, *map(safe_cell, labels)])

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-ledger.csv"'
        return response


@admin.register(Alert)
class AlertAdmin(LedgerAdmin):
    list_display = [
        "raised_at",
        "kind",
        "subject_username",
        "entry_seq",
        "cause_seq",
        "acknowledged_at",
    ]
    list_filter = ["kind", ("acknowledged_at", admin.EmptyFieldListFilter)]
    ordering = ["-raised_at"]
    readonly_fields = [
        "kind",
        "raised_at",
        "entry_seq",
        "cause_seq",
        "subject_id",
        "subject_username",
        "acknowledged_at",
        "acknowledged_by_id",
    ]
    fields = readonly_fields

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:alert_id>/acknowledge/",
                view(require_POST(self.acknowledge_view)),
                name="audit_alert_acknowledge",
            ),
            *super().get_urls(),
        ]

    @method_decorator(vault_view("audit.view_alert", roles=[OWNER]))
    def acknowledge_view(self, request, alert_id):
        """The owner marks an alert as seen; the banner drops it; the ledger records it."""
        alert = get_object_or_404(Alert, pk=alert_id, acknowledged_at__isnull=True)
        alerts.acknowledge(alert, request)
        messages.success(request, _("警告を確認済みにしました。"))
        return redirect("admin:index")
