"""The ledger verification with progress, for the home page and the scheduled job.

``verify_audit``'s check, run range by range so the job's row in ``JobState`` can say
how far it got; the segments are joined exactly as ``verify_audit`` joins its parallel
ones, so the verdict is the same. The verdict is recorded (``audit.verified``) like
``verify_audit``'s, which the home page's verification item reads.
"""

import threading

from django.conf import settings
from django.db import close_old_connections, connection, transaction

from audit.chain import SeqRange, combine, scan
from audit.ledger import current_head
from audit.management.commands.verify_audit import (
    _bounds,
    ledger_rows,
    record_verdict,
    stray_entry_id,
)
from upkeep.models import JobState

# Entries per step: a step of 100,000 takes well under a second at verify_audit's rate,
# so the page's progress moves every time it refreshes.
STEP = 100_000
JOB = "verify_audit"


def verify_with_progress(step=STEP):
    """Verify the whole ledger, updating the job's progress after each step; record and
    return the ``Verdict``."""
    head = current_head()
    bounds = _bounds()
    segments = []
    if bounds.first_seq is not None:
        lo, hi = bounds.first_seq, bounds.last_seq
        JobState.objects.filter(name=JOB).update(progress_total=hi - lo + 1, progress_done=0)
        for start in range(lo, hi + 1, step):
            seq_range = SeqRange(start, min(start + step - 1, hi))
            segments.append(scan(settings.AUDIT_CHAIN_KEY, ledger_rows(seq_range)))
            done = seq_range.last - lo + 1
            JobState.objects.filter(name=JOB).update(progress_done=done)
    verdict = combine(segments, head=head, stray_entry_id=stray_entry_id(bounds, segments))
    with transaction.atomic():
        record_verdict(verdict)
    return verdict


def start_in_background(run):
    """Run ``run()`` in a thread of this process, on its own database connection, so the
    page that started it answers at once and the person watches its progress."""

    def target():
        close_old_connections()
        try:
            run()
        finally:
            connection.close()

    thread = threading.Thread(target=target, name="shopguard-verify", daemon=True)
    thread.start()
    return thread
