"""Measure the encrypted customer model against a plaintext twin and print the ratios.

Runs entirely in a throwaway database of the configured kind, SQLite or the PostgreSQL
server of DATABASE_URL (see devtools/bench.py): the configured database is never
touched. Prints one ``ratio <name> <value>`` line per figure (read_all, search_email,
search_phone, list_page, detail_page), encrypted time divided by plaintext time, and the
machine's load average before and after. With more customers than ``--scale-base``
(10,000), it also prints ``ratio list_page_<N>_vs_<base>``: the encrypted list page at N
customers divided by the same page at the base count, measured alternately in one run.
"""

from django.core.management.base import BaseCommand, CommandError

from devtools import bench


class Command(BaseCommand):
    help = "Benchmark encrypted vs plaintext customers in a throwaway database; print ratios."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best kept)")
        parser.add_argument(
            "--scale-base",
            type=int,
            default=10_000,
            help="with more customers than this, also compare the list page with this many",
        )

    def handle(self, *args, customers, repeat, scale_base, **options):
        if customers < 1 or repeat < 1 or scale_base < 1:
            raise CommandError("--customers, --repeat and --scale-base must be at least 1.")
        bench.run(customers, repeat=repeat, out=self.stdout.write, scale_base=scale_base)
