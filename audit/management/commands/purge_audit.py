"""Remove ledger entries older than the retention period, leaving a checkpoint.

The checkpoint entry (``audit.purge``) names the first entry kept and the chain value
it follows, so ``verify_audit`` still proves the rest intact.
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from audit import appearances
from audit.chain import PURGE_ACTION
from audit.ledger import record
from audit.models import AuditEntry, PurgePermit


def purge_before(cutoff):
    """Delete every entry up to the last one written before ``cutoff``; return the
    checkpoint entry, or None when nothing was that old."""
    with transaction.atomic():
        last_old = (
            AuditEntry.objects.filter(created_at__lt=cutoff)
            .order_by("-seq")
            .values_list("seq", "chain")
            .first()
        )
        permit = PurgePermit.objects.create()
        if last_old is not None:
            up_to, anchor = last_old
            old = AuditEntry.objects.filter(seq__lte=up_to)
            with connection.cursor() as cursor:
                appearances.delete_for(
                    cursor, "SELECT id FROM audit_auditentry WHERE seq <= %s", [up_to]
                )
            removed, _ = old.delete()
        PurgePermit.objects.filter(pk=permit.pk).delete()
        if last_old is None:
            return None
        return record(
            PURGE_ACTION,
            detail={
                "removed": removed,
                "first_seq": up_to + 1,
                "anchor": anchor,
                "before": cutoff.isoformat(),
            },
        )


class Command(BaseCommand):
    help = "Remove audit ledger entries older than N days (default AUDIT_RETENTION_DAYS)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, default=None)

    def handle(self, **options):
        days = options["older_than_days"]
        if days is None:
            days = settings.AUDIT_RETENTION_DAYS
        if days < 1:
            raise CommandError("--older-than-days must be at least 1.")
        checkpoint = purge_before(timezone.now() - timedelta(days=days))
        if checkpoint is None:
            self.stdout.write(f"No audit entries older than {days} days.")
        else:
            detail = checkpoint.detail
            self.stdout.write(
                f"Removed {detail['removed']} audit entries before entry {detail['first_seq']}; "
                f"checkpoint is entry {checkpoint.seq}."
            )
