"""Print ``ratio labels_vs_read`` for a carrier's label file (devtools/label_bench.py)."""

from django.core.management.base import BaseCommand

from devtools import label_bench


class Command(BaseCommand):
    help = "Time a label file of N shipments against reading those customers decrypted."

    def add_arguments(self, parser):
        parser.add_argument("--shipments", type=int, default=1000)

    def handle(self, *args, shipments, **options):
        label_bench.run(shipments, out=self.stdout.write)
