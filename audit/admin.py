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
import datetime
import functools
import itertools
import re
import uuid

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import get_script_prefix, path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import get_language, override
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from audit import alerts, appearances, reviews
from audit.actions import Action, Outcome
from audit.chain import CHAIN_FIELDS
from audit.display import (
    WHEN,
    action_label,
    detail_rows,
    field_label,
    format_csv_time,
    format_when,
    join_words,
    outcome_label,
    reason_words,
    role_label,
)
from audit.ledger import record
from audit.models import AccessReview, Alert, AuditEntry
from vault.access import PermissionAdmin, vault_view
from vault.log import looks_personal
from vault.roles import ROLE_LABELS
from vault.spreadsheet import safe_cell


class LedgerAdmin(PermissionAdmin, admin.ModelAdmin):
    """Viewing for whoever has the view permission (the owner and the auditor); nothing
    else, for anyone."""

    never = ("add", "change", "delete")
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


def names_a_customer(value):
    """Whether ``value`` could be a customer id the index holds: at most its column's 64
    characters and no NUL (which PostgreSQL's text refuses with an error)."""
    return len(value) <= 64 and "\x00" not in value


class CustomerFilter(ValueFilter):
    title = _("顧客")
    parameter_name = "customer"

    def queryset(self, request, queryset):
        if self.value is None:
            return queryset
        if not names_a_customer(self.value):
            return queryset.none()
        return queryset.filter(appearances.naming(self.value))


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


# The ledger's distinct actions by walking the action index from one action to the next
# (a few dozen index look-ups), where SELECT DISTINCT read every entry (issue #26).
_ACTIONS_IN_LEDGER = """
WITH RECURSIVE walk(action) AS (
    SELECT MIN(action) FROM audit_auditentry
    UNION ALL
    SELECT (SELECT MIN(e.action) FROM audit_auditentry e WHERE e.action > walk.action)
    FROM walk WHERE walk.action IS NOT NULL
)
SELECT action FROM walk WHERE action IS NOT NULL
"""


def actions_in_ledger():
    """Every action the ledger holds at least one entry of, in name order."""
    with connection.cursor() as cursor:
        cursor.execute(_ACTIONS_IN_LEDGER)
        return [row[0] for row in cursor.fetchall()]


class DayFilter(admin.ListFilter):
    """The ledger by period: years, then a year's months, then a month's days, as links
    (``created_at__year``, ``__month``, ``__day``, the date hierarchy's parameters) that
    filter by a range of ``created_at`` its index answers. Django's date hierarchy read
    the date of every entry to draw its links (issue #26); these come from the calendar
    and the first and last entries' dates (two index look-ups)."""

    title = _("年・月・日")
    template = "admin/filter.html"
    parts = ("created_at__year", "created_at__month", "created_at__day")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        given = {}
        for name in self.parts:
            value = params.pop(name, None)
            value = value[-1] if isinstance(value, list) else value
            if value:
                given[name] = value
        self.given = given
        self.bounds = self._bounds(given)

    def has_output(self):
        return True

    def expected_parameters(self):
        return list(self.parts)

    def choices(self, changelist):
        yield {
            "selected": not self.given,
            "query_string": changelist.get_query_string(remove=list(self.parts)),
            "display": _("全期間"),
        }
        if self.given and self.bounds is None:
            return
        start = self.bounds[0].date() if self.bounds else None
        for depth, day, words in self._periods(start):
            params = dict(zip(self.parts, [day.year, day.month, day.day][:depth], strict=False))
            yield {
                "selected": params == {k: int(v) for k, v in self.given.items()},
                "query_string": changelist.get_query_string(params, remove=list(self.parts)),
                "display": words,
            }

    def _periods(self, start):
        """(depth, first day, words) of the links to show: the chosen periods, then the
        parts of the last one (every year of the ledger at first)."""
        depth = len(self.given)
        chosen = [
            (1, start, str(start.year)) if depth >= 1 else None,
            (2, start, date_format(start, "YEAR_MONTH_FORMAT")) if depth >= 2 else None,
            (3, start, date_format(start, "MONTH_DAY_FORMAT")) if depth >= 3 else None,
        ]
        yield from (period for period in chosen if period)
        if depth == 0:
            first, last = self._ledger_years()
            for year in range(last, first - 1, -1):
                yield 1, datetime.date(year, 1, 1), str(year)
        elif depth == 1:
            for month in range(1, 13):
                day = start.replace(month=month)
                yield 2, day, date_format(day, "YEAR_MONTH_FORMAT")
        elif depth == 2:
            day = start
            while day.month == start.month:
                yield 3, day, date_format(day, "MONTH_DAY_FORMAT")
                day += datetime.timedelta(days=1)

    @staticmethod
    def _ledger_years():
        """The Japan-time years of the first and last entries (the current year for an
        empty ledger); each read from one end of the ``created_at`` index."""
        times = AuditEntry.objects.values_list("created_at", flat=True)
        ends = [times.order_by("created_at").first(), times.order_by("-created_at").first()]
        if ends[0] is None:
            return (timezone.localdate().year,) * 2
        return tuple(timezone.localtime(moment).year for moment in ends)

    @staticmethod
    def _bounds(given):
        """(start, end) in Japan time, or None for values that name no period."""
        names = [name for name in DayFilter.parts if name in given]
        if names != list(DayFilter.parts[: len(names)]):
            return None  # a day without its month, or a month without its year
        try:
            numbers = [int(given[name]) for name in names]
            start = datetime.date(*numbers, *[1] * (3 - len(numbers)))
            if len(numbers) == 3:
                end = start + datetime.timedelta(days=1)
            elif len(numbers) == 2:
                end = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
            else:
                end = start.replace(year=start.year + 1)
        except (ValueError, OverflowError):
            return None
        zone = timezone.get_default_timezone()
        return tuple(
            timezone.make_aware(datetime.datetime.combine(day, datetime.time.min), zone)
            for day in (start, end)
        )

    def queryset(self, request, queryset):
        if not self.given:
            return queryset
        if self.bounds is None:
            return queryset.none()
        start, end = self.bounds
        return queryset.filter(created_at__gte=start, created_at__lt=end)


class ActionFilter(admin.SimpleListFilter):
    title = _("操作")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return [(a, action_label(a)) for a in actions_in_ledger()]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class RoleFilter(admin.SimpleListFilter):
    title = _("役割")
    parameter_name = "actor_role"

    def lookups(self, request, model_admin):
        return list(ROLE_LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(actor_role=self.value()) if self.value() else queryset


class ListPagesFilter(ValueFilter):
    """On one customer's ledger, the list pages the customer appeared on (50 rows at a
    time, masked) would bury the looks that matter; they are folded away unless asked
    for with ``?list_pages=1``. Empty in the side bar: the page has its own toggle (the
    admin applies only filters that have output)."""

    title = _("一覧での表示")
    parameter_name = "list_pages"
    template = "audit/_no_filter.html"

    def has_output(self):
        return True

    def queryset(self, request, queryset):
        if request.GET.get("customer") and self.value != "1":
            return queryset.exclude(action=Action.CUSTOMER_LIST)
        return queryset


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


# A spreadsheet cell holds at most 32,767 characters (Excel): an export's entry naming
# more customers than fit says so instead of breaking the row.
CSV_CELL_LIMIT = 32_000
REVEAL_ACTIONS = (Action.CUSTOMER_REVEAL, Action.DATA_REQUEST_REVEAL)
# An entry's page links each of its customers' "who looked" pages, up to this many (an
# export's entry can name thousands; the CSV and the customer filter have every id).
CUSTOMER_LINKS = 500


def csv_header():
    """The CSV's column names, in the language of the request."""
    return [
        _("番号"),
        WHEN,
        _("利用者"),
        _("役割"),
        _("操作"),
        _("結果"),
        _("対象"),
        _("顧客数"),
        _("顧客ID"),
        _("詳細"),
        _("IPアドレス"),
        _("ユーザーエージェント"),
        _("チェーン値"),
    ]


def csv_row(entry):
    """One entry as CSV cells: labels instead of codes, Japan time, every cell guarded."""
    plain, technical = detail_rows(entry.detail)
    cells = [
        entry.seq,
        format_csv_time(entry.created_at),
        entry.actor_username,
        role_label(entry.actor_role),
        action_label(entry.action),
        outcome_label(entry.outcome),
        target_text(entry),
        len(entry.customer_ids),
        customer_ids_cell(entry.customer_ids),
        " / ".join(f"{label}: {value}" for label, value in [*plain, *technical]),
        entry.ip,
        entry.user_agent,
        entry.chain,
    ]
    return [safe_cell(str(cell)) for cell in cells]


def customer_ids_cell(ids):
    text = " ".join(ids)
    if len(text) <= CSV_CELL_LIMIT:
        return text
    return str(_("（件数が多いため省略。画面の「この顧客を見た人」で確認できます）"))


def target_text(entry):
    """What an entry was about, short: the kind of thing in words and the start of its id."""
    if not entry.target_type:
        return ""
    try:
        kind = apps.get_model(entry.target_type)._meta.verbose_name
    except (LookupError, ValueError):
        kind = entry.target_type
    return f"{kind} {short_id(entry.target_id)}".strip()


def short_id(value):
    """A UUID cut to its first 8 characters, as the shop's pages name exports; others whole."""
    with contextlib.suppress(ValueError):
        return str(uuid.UUID(value))[:8]
    return value


@functools.cache
def _person_url_pattern(prefix):
    return reverse("admin:audit_auditentry_person", args=[0])


def person_url(user_id):
    """The ledger of one person (``person_view``), from one reversed URL (per script
    prefix) rather than a reversal for each of a page's rows."""
    start, _zero, end = _person_url_pattern(get_script_prefix()).rpartition("/0/")
    return f"{start}/{int(user_id)}/{end}"


def who_looked_link(customer_id):
    """A link to one customer's "who looked" page, named by the customer's internal id
    (its first 8 characters, the whole id as its title): the reader reaches the page
    without the customer's name or any other personal value being shown."""
    url = reverse("admin:audit_auditentry_customer", args=[customer_id])
    return format_html(
        '<a href="{}" class="who-looked" title="{}">{}</a>',
        url,
        customer_id,
        _("顧客 %(id)s") % {"id": short_id(customer_id)},
    )


class LedgerChangeList(ChangeList):
    """The ledger's change list: each row's link made from one reversed URL, not one
    reversal per row (on one customer's page the rows' links were a fifth of what its
    rows cost, issue #26), and a short list read once."""

    def url_for_result(self, result):
        if not hasattr(self, "_entry_url"):
            # The entry's id is the URL's last number: what stands before and after it.
            self._entry_url = super().url_for_result(self.model(pk=0)).rpartition("/0/")
        start, _zero, end = self._entry_url
        return f"{start}/{result.pk}/{end}"

    def get_results(self, request):
        super().get_results(request)
        # A list that fits one page was read whole to count it (LedgerPaginator): show
        # those entries rather than read them again.
        first = getattr(self.paginator, "_first_page", None)
        if first is not None and not self.multi_page:
            self.result_list = first


class LedgerPaginator(Paginator):
    """Page numbers without counting a year's ledger on every page (issue #26).

    The whole ledger's count is ``MAX(seq) - MIN(seq) + 1``, read from the ends of the
    sequence index: the numbers have no gaps (``verify_audit`` proves it; a purge removes
    only the oldest). A filtered list is counted up to ``COUNT_LIMIT`` + 1 entries: past
    that the page says "more than", and its pages stop there (the date filters reach
    older entries)."""

    COUNT_LIMIT = 5000

    @cached_property
    def count(self):
        self.capped = False
        query = self.object_list.query
        if not query.where and not query.combinator and query.model is AuditEntry:
            # Two queries: SQLite reads MIN and MAX from the index's ends only when each
            # is alone in its query (together, it scans the whole index).
            numbers = AuditEntry.objects.values_list("seq", flat=True)
            first, last = numbers.order_by("seq").first(), numbers.order_by("-seq").first()
            if first is None:
                return 0
            span = last - first + 1
            if span > self.COUNT_LIMIT:
                return span
        # A filtered list's first page (and one entry more) first: a short list (one
        # customer's "who looked", one person's day) is then counted without a query of
        # its own, and page 1 of any filtered list is these entries (on PostgreSQL each
        # query of a customer's entries rechecks every candidate's ids).
        head = list(self.object_list[: self.per_page + 1])
        self._first_page = head[: self.per_page]
        if len(head) <= self.per_page:
            return len(head)
        counted = self.object_list[: self.COUNT_LIMIT + 1].count()
        if counted > self.COUNT_LIMIT:
            self.capped = True
        return counted

    def page(self, number):
        number = self.validate_number(number)  # counts first: the first page may be read
        first = getattr(self, "_first_page", None)
        if number == 1 and first is not None and not self.orphans:
            return self._get_page(first, 1, self)
        return super().page(number)


class Echo:
    def write(self, value):
        return value


@admin.register(AuditEntry)
class AuditEntryAdmin(LedgerAdmin):
    list_display = [
        "seq",
        "when",
        "actor",
        "action_text",
        "outcome_text",
        "target",
        "customer_count",
    ]
    # One customer's ledger ("who looked at this customer"): who, when, what, why, and
    # whether the data left in an export. Six columns, so that it fits beside the menus.
    customer_list_display = ["when", "actor", "action_text", "what", "why", "taken_out"]
    list_display_links = ["seq"]
    list_filter = [
        ActorFilter,
        CustomerFilter,
        ListPagesFilter,
        ActionFilter,
        "outcome",
        RoleFilter,
        ("created_at", admin.DateFieldListFilter),
        DayFilter,
    ]
    ordering = ["-seq"]
    list_per_page = 100
    show_full_result_count = False
    # Facet counts ("件数を表示") would count every filter's choices over the whole ledger.
    show_facets = admin.ShowFacets.NEVER
    paginator = LedgerPaginator
    fields = [*CHAIN_FIELDS, "chain"]
    readonly_fields = fields
    change_list_template = "audit/auditentry_change_list.html"
    change_form_template = "audit/auditentry_detail.html"

    def get_changelist(self, request, **kwargs):
        return LedgerChangeList

    def get_list_display(self, request):
        if request.GET.get("customer"):
            return self.customer_list_display
        return self.list_display

    def get_list_display_links(self, request, list_display):
        return ["when"] if request.GET.get("customer") else self.list_display_links

    @admin.display(description=WHEN)
    def when(self, entry):
        return format_when(entry.created_at)

    @admin.display(description=_("利用者（役割）"))
    def actor(self, entry):
        role = role_label(entry.actor_role)
        role = format_html('<span class="ledger-role">{}</span>', role) if role else ""
        if entry.actor_id is None:
            return format_html("{}{}", entry.actor_username or "—", role)
        url = person_url(entry.actor_id)
        name = entry.actor_username or entry.actor_id
        return format_html('<a href="{}">{}</a>{}', url, name, role)

    @admin.display(description=_("操作"))
    def action_text(self, entry):
        """The action; on one customer's ledger (no outcome column) a refusal is named."""
        label = action_label(entry.action)
        if entry.outcome == Outcome.REFUSED:
            return _("%(action)s（%(outcome)s）") % {
                "action": label,
                "outcome": Outcome.REFUSED.label,
            }
        return label

    @admin.display(description=_("結果"))
    def outcome_text(self, entry):
        return outcome_label(entry.outcome)

    @admin.display(description=_("対象"))
    def target(self, entry):
        return target_text(entry)

    @admin.display(description=_("顧客数"))
    def customer_count(self, entry):
        return f"{len(entry.customer_ids):,}"

    @admin.display(description=_("項目"))
    def what(self, entry):
        names = entry.detail.get("field") or entry.detail.get("fields") or []
        names = names if isinstance(names, list) else [names]
        # Only what a person would call a field; the columns behind them are left out.
        return join_words(field_label(n) for n in names if field_label(n) != n) or "—"

    @admin.display(description=_("表示理由"))
    def why(self, entry):
        if entry.action not in REVEAL_ACTIONS:
            return ""
        if entry.detail.get("reason_code") == "quota":
            return _("（表示回数の上限のため拒否）")
        return reason_words(entry.detail.get("reason", ""))

    @admin.display(description=_("持ち出し"))
    def taken_out(self, entry):
        if entry.action != Action.EXPORT_DOWNLOAD:
            return ""
        return _("エクスポートで持ち出し（エクスポート %(number)s）") % {
            "number": short_id(entry.target_id)
        }

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
        context = {**(extra_context or {}), **self._customer_context(request)}
        context["ledger_count_limit"] = f"{LedgerPaginator.COUNT_LIMIT:,}"
        response = super().changelist_view(request, context)
        if getattr(response, "status_code", None) == 200:
            record(Action.AUDIT_READ, request=request, detail=self._read_detail(request, "list"))
        return response

    def _customer_context(self, request):
        """On one customer's ledger: its title and the folded list-page appearances."""
        customer_id = request.GET.get("customer")
        if not customer_id or not names_a_customer(customer_id):
            return {"title": _("監査記録")}
        showing = request.GET.get("list_pages") == "1"
        params = request.GET.copy()
        params.pop("p", None)
        if showing:
            params.pop("list_pages")
        else:
            params["list_pages"] = "1"
        list_pages = AuditEntry.objects.filter(
            appearances.naming(customer_id), action=Action.CUSTOMER_LIST
        )
        return {
            "title": _("この顧客を見た人"),
            "who_looked": {
                "list_pages": list_pages.count(),
                "showing": showing,
                "toggle_url": "?" + params.urlencode(),
            },
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        entry = AuditEntry.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        context = {**(extra_context or {}), **self._entry_context(entry)}
        response = super().change_view(request, object_id, form_url, context)
        if getattr(response, "status_code", None) == 200 and entry is not None:
            # Ledger entries are named by their sequence number, here as in alerts.
            detail = self._read_detail(request, "entry")
            record(
                Action.AUDIT_READ,
                request=request,
                target=("audit.auditentry", entry.seq),
                detail=detail,
            )
        return response

    def _entry_context(self, entry):
        """An entry as labelled rows; codes, hashes and the chain under "technical"."""
        if entry is None:
            return {}
        plain, technical = detail_rows(entry.detail)
        customers = entry.customer_ids
        rows = [
            (_("番号"), entry.seq),
            (WHEN, format_when(entry.created_at)),
            (_("利用者"), entry.actor_username or "—"),
            (_("役割"), role_label(entry.actor_role) or "—"),
            (_("操作"), action_label(entry.action)),
            (_("結果"), outcome_label(entry.outcome)),
            (_("対象"), target_text(entry) or "—"),
            (_("顧客数"), f"{len(customers):,}"),
            *plain,
            (_("IPアドレス"), entry.ip or "—"),
        ]
        technical = [
            (_("操作の名前"), entry.action),
            (_("対象の種類"), entry.target_type or "—"),
            (_("対象ID"), entry.target_id or "—"),
            (_("ユーザーエージェント"), entry.user_agent or "—"),
            (_("リクエストID"), entry.request_id or "—"),
            *technical,
            (_("前のチェーン値"), entry.prev_chain or "—"),
            (_("チェーン値"), entry.chain),
        ]
        who_looked = (
            reverse("admin:audit_auditentry_customer", args=[customers[0]])
            if len(customers) == 1
            else None
        )
        listed = [c for c in customers[:CUSTOMER_LINKS] if names_a_customer(c)]
        return {
            "title": _("監査記録の詳細"),
            "entry_rows": rows,
            "technical_rows": technical,
            "who_looked_url": who_looked,
            "customer_links": [who_looked_link(c) for c in listed] if len(customers) > 1 else [],
            "customers_not_linked": max(len(customers) - CUSTOMER_LINKS, 0),
        }

    def _read_detail(self, request, view):
        """What was read: the view and its filters (ids, action names, dates only)."""
        filters = {
            safe_filter_key(key): safe_filter_value(request.GET[key])
            for key in sorted(request.GET)
            if key != "p"
        }
        return {"view": view, "filters": filters}

    def csv_view(self, request):
        """The ledger (as filtered on the list page) as CSV for a spreadsheet: labels in
        the page's language, Japan time, a byte-order mark so that Excel reads UTF-8.
        It holds no personal data."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request).order_by("seq")
        record(Action.AUDIT_EXPORT_CSV, request=request, detail=self._read_detail(request, "csv"))
        writer = csv.writer(Echo())
        # The rows are written after the view returns, when the request's language is no
        # longer active: each batch of rows is written in it again.
        language = get_language()

        def rows():
            with override(language):
                yield "\ufeff" + writer.writerow([str(name) for name in csv_header()])
            entries = queryset.iterator(chunk_size=2000)
            while batch := list(itertools.islice(entries, 500)):
                with override(language):
                    yield "".join(writer.writerow(csv_row(entry)) for entry in batch)

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-ledger.csv"'
        return response


# Who may press the acknowledge button at all (checked before re-authentication is asked).
ACKNOWLEDGE_GATE = vault_view("audit.view_alert", alerts.RECEIVE_ALERTS)


def home(request, *args, **kwargs):
    """Where a refused acknowledge button comes back to: the home page and its banner."""
    return reverse("admin:index")


@admin.register(Alert)
class AlertAdmin(LedgerAdmin):
    list_display = [
        "raised",
        "kind",
        "subject_username",
        "entry_seq",
        "cause_seq",
        "acknowledged",
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
        "acknowledged_by_username",
    ]
    fields = readonly_fields

    @admin.display(description=_("発生日時"), ordering="raised_at")
    def raised(self, alert):
        return format_when(alert.raised_at)

    @admin.display(description=_("確認日時"), ordering="acknowledged_at")
    def acknowledged(self, alert):
        when = format_when(alert.acknowledged_at)
        if not when:
            return "—"
        return (
            f"{when} ({alert.acknowledged_by_username})" if alert.acknowledged_by_username else when
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:alert_id>/acknowledge/",
                view(
                    require_POST(
                        ACKNOWLEDGE_GATE(alerts.reauthenticated(self.acknowledge_view, back=home))
                    )
                ),
                name="audit_alert_acknowledge",
            ),
            *super().get_urls(),
        ]

    def acknowledge_button(self):
        """The acknowledge view behind its gates: the owner's permission first, then a
        recent re-authentication (a refused button comes back to the home page)."""
        return ACKNOWLEDGE_GATE(alerts.reauthenticated(self.acknowledge_view, back=home))

    def acknowledge_view(self, request, alert_id):
        """The owner marks an alert as seen, after re-authentication; the banner drops
        it; the ledger records it. An alert about one's own actions is another owner's."""
        alert = get_object_or_404(Alert, pk=alert_id, acknowledged_at__isnull=True)
        try:
            alerts.acknowledge(alert, request)
        except alerts.OwnAlert:
            raise PermissionDenied from None  # another owner looks at it
        messages.success(request, _("警告を確認済みにしました。"))
        return redirect("admin:index")


# The periodic review of access --------------------------------------------------------


def person_link(entry):
    """The person who wrote ``entry``, linked to everything they did."""
    if entry.actor_id is None:
        return entry.actor_username or "—"
    url = reverse("admin:audit_auditentry_person", args=[entry.actor_id])
    return format_html('<a href="{}">{}</a>', url, entry.actor_username or entry.actor_id)


def entry_link(entry):
    url = reverse("admin:audit_auditentry_change", args=[entry.pk])
    return format_html('<a href="{}">#{}</a>', url, entry.seq)


def customer_links(entry):
    """Each customer of a one- or few-customer entry as a link; a count for more."""
    ids = entry.customer_ids
    if len(ids) > 3:
        return format_html(
            "{} {}", _("%(n)s人") % {"n": f"{len(ids):,}"}, _("（記録の詳細から各顧客へ）")
        )
    return format_html_join(" ", "{}", ((who_looked_link(c),) for c in ids if names_a_customer(c)))


def reveal_row(entry):
    names = entry.detail.get("field") or entry.detail.get("fields") or []
    names = names if isinstance(names, list) else [names]
    reason = (
        _("（表示回数の上限のため拒否）")
        if entry.detail.get("reason_code") == "quota"
        else reason_words(entry.detail.get("reason", ""))
    )
    return {
        "link": entry_link(entry),
        "when": format_when(entry.created_at),
        "who": person_link(entry),
        "action": action_label(entry.action),
        "outcome": outcome_label(entry.outcome),
        "what": join_words(field_label(n) for n in names) or "—",
        "why": reason or "—",
        "customers": customer_links(entry),
    }


def entry_row(entry):
    return {
        "link": entry_link(entry),
        "when": format_when(entry.created_at),
        "who": person_link(entry),
        "action": action_label(entry.action),
        "outcome": outcome_label(entry.outcome),
        "target": target_text(entry) or "—",
        "customers": customer_links(entry) if entry.customer_ids else "—",
        "self_approved": bool(entry.detail.get("self_approved")),
    }


def alert_row(alert):
    return {
        "link": reverse("admin:audit_auditentry_seq", args=[alert.entry_seq]),
        "seq": alert.entry_seq,
        "kind": alert.get_kind_display(),
        "raised": format_when(alert.raised_at),
        "subject": alert.subject_username or "—",
        "closed": (
            _("%(when)s %(who)sさんが確認")
            % {"when": format_when(alert.acknowledged_at), "who": alert.acknowledged_by_username}
            if alert.acknowledged_at
            else ""
        ),
    }


def ledger_month_url(period, action):
    """The ledger filtered by ``action`` and the period's first month (where a long list
    continues)."""
    params = {
        "action": action,
        "created_at__year": period.start.year,
        "created_at__month": period.start.month,
    }
    return reverse("admin:audit_auditentry_changelist") + "?" + urlencode(params)


# Who may press the "reviewed" button at all (before re-authentication is asked).
REVIEW_GATE = vault_view("audit.view_accessreview")


def review_page(request, key, *args, **kwargs):
    """Where a refused "reviewed" button comes back to: the period's page."""
    return reverse("admin:audit_accessreview_period", args=[key])


@admin.register(AccessReview)
class AccessReviewAdmin(LedgerAdmin):
    """The periods of the shop's access and their reviews: a list of periods, each
    period's page, and the "reviewed" button (audit.reviews)."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("period/<str:key>/", view(self.period_view), name="audit_accessreview_period"),
            path(
                "period/<str:key>/reviewed/",
                view(require_POST(REVIEW_GATE(self.mark_button()))),
                name="audit_accessreview_mark",
            ),
            *super().get_urls(),
        ]

    def mark_button(self):
        return alerts.reauthenticated(self.mark_view, back=review_page)

    def _page(self, request, template, **context):
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, **context}
        return TemplateResponse(request, template, context)

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return self._page(
            request,
            "audit/reviews.html",
            title=_("アクセスの点検"),
            rows=reviews.period_rows(),
            months=reviews.period_months(),
            grace_days=reviews.GRACE.days,
            may_review=reviews.may_review(request.user),
        )

    def _period(self, request, key):
        if not self.has_view_permission(request):
            raise PermissionDenied
        period = reviews.period_by_key(key)
        if period is None or period.start > timezone.localdate():
            raise Http404
        return period

    def period_view(self, request, key):
        """One period: what the ledger says about it beside the earlier periods, and
        its review (or the form to write one)."""
        period = self._period(request, key)
        summary = reviews.summarise(period)
        review = AccessReview.objects.filter(period_start=period.start).first()
        record(Action.AUDIT_READ, request=request, detail={"view": "review", "period": key})
        return self._page(
            request,
            "audit/review_period.html",
            title=_("アクセスの点検：%(period)s") % {"period": period.label},
            period=period,
            summary=summary,
            reveals=[reveal_row(e) for e in summary.reveals],
            taken_out=[entry_row(e) for e in summary.taken_out],
            people_changes=[entry_row(e) for e in summary.people_changes],
            alerts=[alert_row(a) for a in summary.alerts],
            more_reveals=ledger_month_url(period, Action.CUSTOMER_REVEAL),
            review=review,
            ended=period.has_ended(),
            may_review=reviews.may_review(request.user),
            may_open_incident=request.user.has_perm("incidents.add_incident"),
            incident_url=reverse("admin:incidents_incident_add")
            + "?"
            + urlencode({"review_period": key}),
        )

    def mark_view(self, request, key):
        """Mark the period reviewed with the findings (re-authenticated; once)."""
        period = self._period(request, key)
        back = redirect("admin:audit_accessreview_period", key)
        try:
            reviews.mark_reviewed(period, request.POST.get("findings", ""), request)
        except reviews.ReviewRefused as refusal:
            messages.error(request, str(refusal))
            return back
        messages.success(request, _("%(period)sを点検済みにしました。") % {"period": period.label})
        return back
