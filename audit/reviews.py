"""The periodic review of access (PPC FAQ Q10-20; Shopify Level 2).

The shop's access is reviewed period by period (``SHOPGUARD_ACCESS_REVIEW_MONTHS``
calendar months in Japan time, monthly by default): who looked at how many customers,
every reveal with its reason, every export and label file, the alerts and how they were
closed, sign-in failures and changes to people and roles, each beside the previous
periods. The reviewer (the auditor, or the owner in a shop without one:
``accounts.rules.may_review_access``, handed over at start-up) marks a finished period
reviewed once, with findings checked for personal data; that is an ``AccessReview`` row
and an ``audit.review`` ledger entry in one transaction.

What the page reads stays small at any ledger size: the period's first and last entries
come from the ``created_at`` index, its entries of one action from ``(action, seq)``
(``audit_action_seq``), and the counts compared with earlier periods from the daily
counts (``AuditDay``). No customer's value is read: customers are named by their ids.

Facts for other pages: ``overdue_periods()`` (the home page and the evidence page).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audit.actions import ACCOUNT_SECURITY_ACTIONS, COUNTED_ACTIONS, SIGN_IN_FAILURES, Action
from audit.models import AccessReview, Alert, AuditDay, AuditEntry
from vault.log import looks_personal

# Earlier periods each figure is compared with: a quarter shows a habit.
COMPARED_PERIODS = 3
# A finished period is overdue when it is still unreviewed this long after its end: two
# weeks leave room for a holiday and the month's closing work.
GRACE = datetime.timedelta(days=14)
# How far back an unreviewed period still counts as waiting: a year of periods (older
# ones are past the point where a review changes anything; the ledger still holds them).
LOOKBACK_PERIODS = 12
# The page lists at most this many entries of one kind; the rest are one link away in
# the ledger (filtered by the action and the period's month).
LISTED_ENTRIES = 300
# Findings are a few sentences; the ledger entry carries them, so they stay short.
FINDINGS_MAX_LENGTH = 5000
REVEALS = (Action.CUSTOMER_REVEAL, Action.DATA_REQUEST_REVEAL)
TAKEN_OUT = (
    Action.EXPORT_APPROVE,
    Action.EXPORT_DOWNLOAD,
    Action.LABEL_MAKE,
    Action.LABEL_DOWNLOAD,
)
PERIOD_LENGTHS = (1, 2, 3, 4, 6, 12)

# Who may mark a period reviewed: a rule of the accounts app, which imports this one, so
# it is handed over at start-up (AccountsConfig.ready) instead of imported.
_REVIEW_RULE: list[Any] = []


def use_review_rule(rule):
    """Called by the accounts app: ``rule(user)`` says whether ``user`` may review."""
    _REVIEW_RULE[:] = [rule]


def may_review(user):
    """True when ``user`` may mark a period reviewed (``accounts.rules.may_review_access``)."""
    if not _REVIEW_RULE:
        raise ImproperlyConfigured("The accounts app did not hand over the review rule.")
    return bool(_REVIEW_RULE[0](user))


# Periods ---------------------------------------------------------------------------------


def period_months():
    months = settings.SHOPGUARD_ACCESS_REVIEW_MONTHS
    if months not in PERIOD_LENGTHS:
        raise ImproperlyConfigured(
            "SHOPGUARD_ACCESS_REVIEW_MONTHS must be one of 1, 2, 3, 4, 6 or 12 "
            f"(months that divide a year); it is {months!r}."
        )
    return months


def _add_months(day, months):
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """Calendar months in Japan time, from ``start`` (a first day) to ``end`` (the first
    day after it)."""

    start: datetime.date
    end: datetime.date

    @property
    def key(self):
        """How the period is named in addresses: its first month, ``2026-11``."""
        return f"{self.start:%Y-%m}"

    @property
    def last_day(self):
        return self.end - datetime.timedelta(days=1)

    @property
    def label(self):
        first = date_format(self.start, "YEAR_MONTH_FORMAT")
        if self.end == _add_months(self.start, 1):
            return first
        return _("%(first)s〜%(last)s") % {
            "first": first,
            "last": date_format(self.last_day, "YEAR_MONTH_FORMAT"),
        }

    def bounds(self):
        """The period's first and after-last moments, Japan time."""
        zone = timezone.get_default_timezone()
        return tuple(
            timezone.make_aware(datetime.datetime.combine(day, datetime.time.min), zone)
            for day in (self.start, self.end)
        )

    def previous(self):
        return period_of(self.start - datetime.timedelta(days=1))

    def has_ended(self, today=None):
        return (today or timezone.localdate()) >= self.end

    def overdue_on(self, today=None):
        return (today or timezone.localdate()) >= self.end + GRACE


def period_of(day):
    """The period ``day`` (a Japan-time date) falls in."""
    months = period_months()
    first_month = (day.month - 1) // months * months + 1
    start = datetime.date(day.year, first_month, 1)
    return Period(start, _add_months(start, months))


def period_by_key(key):
    """The period named ``2026-11`` (its first month), or None for anything else."""
    try:
        year, month = (int(part) for part in key.split("-"))
        start = datetime.date(year, month, 1)
    except (ValueError, TypeError):
        return None
    period = period_of(start)
    return period if period.key == key else None


def earlier_periods(period, count=COMPARED_PERIODS):
    """The ``count`` periods before ``period``, the nearest first."""
    found = []
    for _n in range(count):
        period = period.previous()
        found.append(period)
    return found


def _first_entry_day():
    first = AuditEntry.objects.order_by("created_at").values_list("created_at", flat=True).first()
    return timezone.localtime(first).date() if first else None


def finished_periods(today=None):
    """The finished periods that may wait for a review, newest first: at most
    ``LOOKBACK_PERIODS``, none before the ledger's first entry."""
    today = today or timezone.localdate()
    first_day = _first_entry_day()
    if first_day is None:
        return []
    periods, period = [], period_of(today).previous()
    while len(periods) < LOOKBACK_PERIODS and period.end > first_day:
        periods.append(period)
        period = period.previous()
    return periods


def reviews_of(periods):
    """``{period start: AccessReview}`` for those of ``periods`` already reviewed."""
    starts = [period.start for period in periods]
    return {r.period_start: r for r in AccessReview.objects.filter(period_start__in=starts)}


def overdue_periods(today=None):
    """The finished periods still unreviewed ``GRACE`` after their end, newest first: the
    fact the home page and the evidence page show."""
    today = today or timezone.localdate()
    periods = [p for p in finished_periods(today) if p.overdue_on(today)]
    reviewed = reviews_of(periods)
    return [p for p in periods if p.start not in reviewed]


class PeriodRow(NamedTuple):
    period: Period
    review: AccessReview | None
    overdue: bool


def period_rows(today=None):
    """The current period and the finished ones, newest first, each with its review."""
    today = today or timezone.localdate()
    periods = [period_of(today), *finished_periods(today)]
    reviewed = reviews_of(periods)
    return [
        PeriodRow(p, reviewed.get(p.start), p.overdue_on(today) and p.start not in reviewed)
        for p in periods
    ]


# What a period holds ------------------------------------------------------------------


def seq_range(period):
    """The sequence numbers of the period's first and last entries (two look-ups on the
    ``created_at`` index), or None for a period without entries."""
    start, end = period.bounds()
    inside = AuditEntry.objects.filter(created_at__gte=start, created_at__lt=end)
    first = inside.order_by("created_at").values_list("seq", flat=True).first()
    last = inside.order_by("-created_at").values_list("seq", flat=True).first()
    if first is None or last is None:
        return None
    return min(first, last), max(first, last)


def entries_of(period, actions, *, numbers=None):
    """The period's entries of ``actions``, oldest first, one query per action, each
    through the ``(action, seq)`` index between the period's first and last numbers."""
    numbers = numbers if numbers is not None else seq_range(period)
    if numbers is None:
        return []
    start, end = period.bounds()
    found = []
    for action in actions:
        found += AuditEntry.objects.filter(
            action=action,
            seq__gte=numbers[0],
            seq__lte=numbers[1],
            created_at__gte=start,
            created_at__lt=end,
        ).order_by("seq")
    return sorted(found, key=lambda entry: entry.seq)


def customers_seen(period, numbers=None):
    """``{username: set of customer ids}``: whom each person opened, revealed or whose
    contact they changed in the period (the actions the bulk-viewing alert counts)."""
    seen = defaultdict(set)
    for entry in entries_of(period, COUNTED_ACTIONS, numbers=numbers):
        if entry.outcome == "ok" and entry.customer_ids:
            seen[entry.actor_username or "—"].update(entry.customer_ids)
    return seen


def day_counts(period, actions, outcome=None):
    """How many entries of ``actions`` the period holds, from the daily counts."""
    rows = AuditDay.objects.filter(
        day__gte=period.start, day__lt=period.end, action__in=[str(a) for a in actions]
    )
    if outcome is not None:
        rows = rows.filter(outcome=outcome)
    return rows.aggregate(n=Sum("entries"))["n"] or 0


def alerts_of(period):
    start, end = period.bounds()
    return Alert.objects.filter(raised_at__gte=start, raised_at__lt=end).order_by("raised_at")


@dataclass
class Figure:
    """One line of the comparison: this period's number and the earlier periods'."""

    label: str
    now: int
    before: list[int] = field(default_factory=list)

    @property
    def average_before(self):
        return round(sum(self.before) / len(self.before)) if self.before else 0

    @property
    def above_usual(self):
        """Clearly more than usual: above twice the earlier periods' average."""
        return bool(self.before) and self.now > 2 * max(self.average_before, 1)


def _figures_of(period):
    seen = customers_seen(period)
    every = set().union(*seen.values()) if seen else set()
    return seen, [
        len(every),
        day_counts(period, REVEALS, outcome="ok"),
        day_counts(period, (Action.EXPORT_DOWNLOAD,), outcome="ok"),
        day_counts(period, (Action.LABEL_DOWNLOAD,), outcome="ok"),
        alerts_of(period).count(),
        day_counts(period, SIGN_IN_FAILURES, outcome="refused"),
        day_counts(period, ACCOUNT_SECURITY_ACTIONS, outcome="ok"),
    ]


def figure_labels():
    return [
        _("閲覧・表示された顧客（人数）"),
        _("個人情報の表示"),
        _("エクスポートのダウンロード"),
        _("ラベルファイルのダウンロード"),
        _("警告"),
        _("サインインの失敗"),
        _("利用者・役割の変更"),
    ]


@dataclass
class PersonRow:
    username: str
    now: int
    before: list[int]


@dataclass
class PeriodSummary:
    period: Period
    earlier: list[Period]
    figures: list[Figure]
    people: list[PersonRow]
    reveals: list[AuditEntry]
    taken_out: list[AuditEntry]
    alerts: list[Alert]
    people_changes: list[AuditEntry]
    failures: list[tuple[str, int]]
    more: dict[str, bool]


def summarise(period):
    """Everything the review page shows about ``period``, beside the earlier periods."""
    earlier = earlier_periods(period)
    seen, now = _figures_of(period)
    before = [_figures_of(p) for p in earlier]
    figures = [
        Figure(label, value, [b[1][n] for b in before])
        for n, (label, value) in enumerate(zip(figure_labels(), now, strict=True))
    ]
    names = sorted(set(seen).union(*(b[0] for b in before)))
    people = [
        PersonRow(name, len(seen.get(name, ())), [len(b[0].get(name, ())) for b in before])
        for name in names
    ]
    numbers = seq_range(period)
    lists = {
        "reveals": entries_of(period, REVEALS, numbers=numbers),
        "taken_out": entries_of(period, TAKEN_OUT, numbers=numbers),
        "people_changes": entries_of(period, ACCOUNT_SECURITY_ACTIONS, numbers=numbers),
    }
    failures = [
        (str(action.label), day_counts(period, (action,), outcome="refused"))
        for action in SIGN_IN_FAILURES
    ]
    return PeriodSummary(
        period=period,
        earlier=earlier,
        figures=figures,
        people=people,
        alerts=list(alerts_of(period)),
        failures=failures,
        more={key: len(found) > LISTED_ENTRIES for key, found in lists.items()},
        **{key: found[:LISTED_ENTRIES] for key, found in lists.items()},
    )


# Marking a period reviewed ---------------------------------------------------------------


class ReviewRefused(Exception):
    """The period cannot be marked reviewed; the message says why, in words."""


def check_findings(text):
    """The findings as kept, or ReviewRefused when they are too long or hold personal
    data (an e-mail address, a long number), as the incident's text is checked."""
    text = (text or "").strip()
    if len(text) > FINDINGS_MAX_LENGTH:
        raise ReviewRefused(
            _("所見は%(n)s文字までにしてください。") % {"n": f"{FINDINGS_MAX_LENGTH:,}"}
        )
    if looks_personal(text):
        raise ReviewRefused(
            _(
                "所見にメールアドレスや長い数字（電話番号・カード番号など）のような個人情報は"
                "書かないでください。顧客は内部ID（監査記録のリンク）で示してください。"
            )
        )
    return text


def mark_reviewed(period, findings, request):
    """Mark the finished ``period`` reviewed by the signed-in person, with ``findings``:
    an ``AccessReview`` and its ``audit.review`` ledger entry in one transaction.
    Raises ReviewRefused when the person may not, the period has not ended, it was
    reviewed already, or the findings hold personal data."""
    from audit.ledger import record

    user = request.user
    if not may_review(user):
        raise ReviewRefused(_("この店では、アクセスの点検は監査役が行います。"))
    if not period.has_ended():
        raise ReviewRefused(_("この期間はまだ終わっていません。終わってから点検してください。"))
    findings = check_findings(findings)
    try:
        with transaction.atomic():
            if AccessReview.objects.filter(period_start=period.start).exists():
                raise ReviewRefused(already_reviewed(period))
            entry = record(
                Action.ACCESS_REVIEWED,
                request=request,
                target=("audit.accessreview", period.key),
                detail={
                    "period_start": period.start.isoformat(),
                    "period_end": period.end.isoformat(),
                    "findings": findings,
                },
            )
            return AccessReview.objects.create(
                period_start=period.start,
                period_end=period.end,
                reviewed_at=entry.created_at,
                reviewed_by=user,
                reviewed_by_username=user.get_username(),
                findings=findings,
                entry_seq=entry.seq,
            )
    except IntegrityError:  # reviewed at the same moment by someone else
        raise ReviewRefused(already_reviewed(period)) from None


def already_reviewed(period):
    review = AccessReview.objects.filter(period_start=period.start).first()
    if review is None:
        return _("この期間は点検済みです。")
    return _("%(period)sは%(when)sに%(who)sさんが点検済みです。点検は1期間に1回です。") % {
        "period": period.label,
        "when": date_format(timezone.localtime(review.reviewed_at), "DATE_FORMAT"),
        "who": review.reviewed_by_username,
    }
