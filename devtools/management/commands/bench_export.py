"""Measure the customer export's peak memory and print the figures.

Runs in a throwaway SQLite database (see devtools/export_bench.py): the configured
database is never touched. Exports N and then 2N fake customers with the real archive
writer, each in a fresh process, and prints ``memory <name> <value>`` lines
(export_peak_mb, export_growth_mb, export_python_peak_mb, and the same with ``_2x``);
DESIGN.md's target is a peak of at most 200 MB for 100,000 customers.
"""

from django.core.management.base import BaseCommand, CommandError

from devtools import export_bench


class Command(BaseCommand):
    help = "Measure the export's peak memory at N and 2N customers in a throwaway database."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=100_000)
        parser.add_argument(
            "--keep-archive",
            metavar="PATH",
            help="copy the N-customer archive (fake data) to PATH and print its password",
        )

    def handle(self, *args, customers, keep_archive, **options):
        if customers < 1:
            raise CommandError("--customers must be at least 1.")
        export_bench.run(customers, out=self.stdout.write, keep_archive=keep_archive)
