"""Expire every approved export not downloaded within its 24-hour window.

Run it from cron (hourly is plenty); pages expire an export on access too. Each expiry
is a ``export.expire`` ledger entry. No archive is ever stored, so nothing is deleted.
"""

from django.core.management.base import BaseCommand

from exports.services import expire_due


class Command(BaseCommand):
    help = "Mark approved exports past their download window as expired (期限切れ)."

    def handle(self, *args, **options):
        count = expire_due()
        self.stdout.write(f"Expired {count} export(s).")
