"""Measure the encrypted customer model against a plaintext twin and print the ratios.

Runs entirely in a throwaway database of the configured kind, SQLite or the PostgreSQL
server of DATABASE_URL (see devtools/bench.py): the configured database is never
touched. Prints one ``ratio <name> <value>`` line per figure (read_all, search_email,
search_phone, list_page, detail_page), encrypted time divided by plaintext time, and the
machine's load average before and after.
"""

from django.core.management.base import BaseCommand, CommandError

from devtools import bench


class Command(BaseCommand):
    help = "Benchmark encrypted vs plaintext customers in a throwaway database; print ratios."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best kept)")

    def handle(self, *args, customers, repeat, **options):
        if customers < 1 or repeat < 1:
            raise CommandError("--customers and --repeat must be at least 1.")
        bench.run(customers, repeat=repeat, out=self.stdout.write)
