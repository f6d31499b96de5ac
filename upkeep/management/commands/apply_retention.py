"""Remove or anonymise what is past its retention period (upkeep/retention.py).

``--dry-run`` prints what would go, per category, in counts, and changes nothing.
Without it the work is done in short batches, each recorded in the ledger, and a
re-scan then proves that no personal value, index, product name or shipment's
recipient or tracking number of an anonymised customer remains (exit 1 if one does).
"""

from django.core.management.base import BaseCommand

from upkeep import retention


class Command(BaseCommand):
    help = "Anonymise or remove data past its retention period (--dry-run: counts only)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only count what is due")

    def handle(self, **options):
        if options["dry_run"]:
            planned = retention.plan()
            for category, count in planned.counts.items():
                self.stdout.write(f"{category}: {count} due")
            self.say_holds(planned.holds)
            return
        done = retention.apply()
        for category, count in done.items():
            self.stdout.write(f"{category}: {count} done")
        leftover = retention.rescan()
        if not leftover.clean:
            self.stderr.write(
                "re-scan: anonymised customers still hold "
                f"{leftover.sealed_values} values, {leftover.indexes} indexes, "
                f"{leftover.product_names} product names, {leftover.shipments} shipments"
            )
            raise SystemExit(1)
        self.stdout.write("re-scan: no personal value of an anonymised customer remains")

    def say_holds(self, holds):
        if holds.everything:
            self.stdout.write("held: an open incident without a fixed scope holds every customer")
        elif holds.customer_ids:
            self.stdout.write(f"held: {len(holds.customer_ids)} customers of open incidents")
        if holds.ledger:
            self.stdout.write("held: the ledger, while an incident is open")
