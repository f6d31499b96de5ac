"""What the ledger says about the last days, for the home page: grouped counts and the
last entry of an action, each in one aggregate query. Only actions, days and the shop's
people's usernames are read, never a customer's id or value."""

from datetime import timedelta

from django.db.models import Sum
from django.utils import timezone

from audit.actions import SIGN_IN_FAILURES, Action, Outcome
from audit.models import AuditDay, AuditEntry

# The charts' window: a month shows a habit, and the table of it stays short.
CHART_DAYS = 30


def chart_days(days=CHART_DAYS):
    """The last ``days`` calendar days in Japan time, oldest first, today last."""
    today = timezone.localdate()
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def daily_counts(actions, *, days=CHART_DAYS, outcome=None, per_person=False):
    """``{(day, action): n}`` or, ``per_person``, ``{(day, action, username): n}`` for
    entries of ``actions`` in the last ``days`` Japan-time days, from the ledger's daily
    counts (``AuditDay``, kept by ``record``): a few rows a day, whatever the ledger's
    size, never the entries themselves."""
    counts = AuditDay.objects.filter(
        day__gte=chart_days(days)[0], action__in=[str(a) for a in actions]
    )
    if outcome is not None:
        counts = counts.filter(outcome=outcome)
    keys = ["day", "action", *(["actor_username"] if per_person else [])]
    rows = counts.values(*keys).annotate(n=Sum("entries")).order_by()
    return {tuple(row[key] for key in keys): row["n"] for row in rows}


def customer_activity(per_person):
    """Customer pages opened and values revealed (successful ones) per day."""
    actions = (Action.CUSTOMER_VIEW, Action.CUSTOMER_REVEAL)
    return daily_counts(actions, outcome=Outcome.OK, per_person=per_person)


def export_activity():
    """Export requests made and archives downloaded per day."""
    return daily_counts((Action.EXPORT_REQUEST, Action.EXPORT_DOWNLOAD), outcome=Outcome.OK)


def refused_sign_ins():
    """Refused sign-in steps (wrong password, lockout, wrong code) per day."""
    return daily_counts(SIGN_IN_FAILURES, outcome=Outcome.REFUSED)


def last_entry(action):
    """The newest entry of ``action``, or None."""
    return AuditEntry.objects.filter(action=action).order_by("-seq").first()
