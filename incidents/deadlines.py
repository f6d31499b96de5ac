"""The two report deadlines of an incident, counted in days from its discovery.

The preliminary report (速報) is due "promptly": ShopGuard warns from day 3 and calls it
overdue after day 5. The final report (確報) is due within 30 days, or 60 when an
unlawful purpose is suspected. How days are counted is the setting
``SHOPGUARD_INCIDENT_DAYS`` (see ``DEFAULTS``): by default the day of discovery is day 0
and the counting follows the calendar in Japan time, as Japanese periods do (民法第140条).
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.triage import triage, unlawful_purpose_suspected

JAPAN = ZoneInfo("Asia/Tokyo")
DEFAULTS = {
    "preliminary_warn": 3,
    "preliminary_due": 5,
    "final": 30,
    "final_unlawful": 60,
    # True: the day of discovery is day 1 (and the deadlines come a day earlier).
    "count_discovery_day": False,
}
OK, WARN, OVERDUE, DONE = "ok", "warn", "overdue", "done"
STATE_LABELS = {
    OK: _("期限内"),
    WARN: _("期限が近づいています"),
    OVERDUE: _("期限を過ぎています"),
    DONE: _("提出済み"),
}


@dataclass(frozen=True)
class Deadline:
    kind: str
    label: str
    due: datetime.date
    state: str
    days_left: int

    @property
    def state_label(self):
        return STATE_LABELS[self.state]


def days():
    return {**DEFAULTS, **getattr(settings, "SHOPGUARD_INCIDENT_DAYS", {})}


def day_number(discovered_at, today=None):
    """Which day since discovery ``today`` is (day 0 or 1 is the discovery day)."""
    start = timezone.localtime(discovered_at, JAPAN).date()
    today = today or timezone.localtime(timezone.now(), JAPAN).date()
    return (today - start).days + (1 if days()["count_discovery_day"] else 0)


def _due(discovered_at, day):
    start = timezone.localtime(discovered_at, JAPAN).date()
    return start + datetime.timedelta(days=day - (1 if days()["count_discovery_day"] else 0))


def deadlines(incident, today=None):
    """The preliminary and final deadlines with their state today."""
    rules, now = days(), day_number(incident.discovered_at, today)
    final_days = rules["final_unlawful"] if unlawful_purpose_suspected(incident) else rules["final"]
    preliminary_due = rules["preliminary_due"]
    if incident.preliminary_reported_at:
        first = DONE
    elif now > preliminary_due:
        first = OVERDUE
    elif now >= rules["preliminary_warn"]:
        first = WARN
    else:
        first = OK
    if incident.final_reported_at:
        second = DONE
    elif now > final_days:
        second = OVERDUE
    elif now >= final_days - 7:
        second = WARN
    else:
        second = OK
    return [
        Deadline(
            "preliminary",
            _("速報"),
            _due(incident.discovered_at, preliminary_due),
            first,
            preliminary_due - now,
        ),
        Deadline(
            "final", _("確報"), _due(incident.discovered_at, final_days), second, final_days - now
        ),
    ]


def open_deadlines(today=None):
    """Every deadline not yet met of every incident that must be reported, soonest first
    (for the dashboard)."""
    from incidents.models import Incident

    found = []
    for incident in Incident.objects.all():
        if not triage(incident).required:
            continue
        for deadline in deadlines(incident, today):
            if deadline.state != DONE:
                found.append((incident, deadline))
    return sorted(found, key=lambda pair: pair[1].due)
