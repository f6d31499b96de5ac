"""When a customer's data request must be answered.

APPI art. 33 asks for an answer "without delay"; the shop promises one within 14 days of
receipt (the answer period). Requests keep no deadline of their own yet, so the due day
is computed from the received date here, in one place the data-request work can replace.
"""

from datetime import timedelta

from django.utils import timezone

from policy.models import DataRequest

ANSWER_PERIOD = timedelta(days=14)


def answer_due(received_at):
    """The last day (Japan time) an answer is due for a request received at ``received_at``."""
    return timezone.localdate(received_at) + ANSWER_PERIOD


def days_left(received_at, today=None):
    """Whole days until the answer is due: 0 on the due day, negative once it has passed."""
    return (answer_due(received_at) - (today or timezone.localdate())).days


def open_requests():
    """Requests not yet done, oldest first, as plain rows: reference, kind, step and the
    days left (nothing encrypted is read)."""
    rows = (
        DataRequest.objects.exclude(step=DataRequest.Step.DONE)
        .order_by("received_at")
        .values("pk", "reference", "kind", "step", "received_at")
    )
    kinds, steps = dict(DataRequest.Kind.choices), dict(DataRequest.Step.choices)
    return [
        {
            **row,
            "kind_label": kinds[row["kind"]],
            "step_label": steps[row["step"]],
            "days_left": days_left(row["received_at"]),
            "days_overdue": max(0, -days_left(row["received_at"])),
        }
        for row in rows
    ]
