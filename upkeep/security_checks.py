"""When the next vulnerability diagnosis and the next round of software updates are due,
from the register (``SecurityCheck``) and the intervals in the settings. The home page's
reminder and the evidence page read it; nothing here is personal data."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from upkeep.models import SecurityCheck

NONE, OK, SOON, OVERDUE = "none", "ok", "soon", "overdue"


@dataclass(frozen=True)
class NextCheck:
    """The newest check of one kind and when the next is due (``state``: none, ok, soon
    or overdue)."""

    kind: str
    last: SecurityCheck | None
    due: date | None
    state: str

    @property
    def open_findings(self) -> bool:
        return self.last is not None and self.last.open_findings


def interval(kind: str) -> timedelta:
    """How often a check of ``kind`` is due (the settings, in days)."""
    if kind == SecurityCheck.Kind.DIAGNOSIS:
        return timedelta(days=settings.SECURITY_DIAGNOSIS_INTERVAL_DAYS)
    return timedelta(days=settings.SECURITY_PATCH_INTERVAL_DAYS)


def next_check(kind: str, today: date | None = None) -> NextCheck:
    """The newest record of ``kind`` and when the next is due, as of ``today``."""
    today = today or timezone.localdate()
    last = SecurityCheck.objects.filter(kind=kind).order_by("-done_on", "-pk").first()
    if last is None:
        return NextCheck(kind, None, None, NONE)
    due = last.done_on + interval(kind)
    if due < today:
        state = OVERDUE
    elif due - today <= timedelta(days=settings.SECURITY_CHECK_REMINDER_DAYS):
        state = SOON
    else:
        state = OK
    return NextCheck(kind, last, due, state)


def next_checks(today: date | None = None) -> list[NextCheck]:
    """The diagnosis's and the updates' next dates."""
    return [next_check(kind, today) for kind in SecurityCheck.Kind.values]
