"""Delete third-party provision records kept for their full three years."""

from django.core.management.base import BaseCommand

from policy.models import ThirdPartyProvision
from policy.services import purge_provision_records


class Command(BaseCommand):
    help = "Delete third-party provision records older than their three-year retention."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="only count what would be deleted"
        )

    def handle(self, *args, dry_run, **options):
        if dry_run:
            count = ThirdPartyProvision.expired().count()
            self.stdout.write(f"{count} provision record(s) past retention (dry run).")
            return
        count = purge_provision_records()
        self.stdout.write(f"Deleted {count} provision record(s) past retention.")
