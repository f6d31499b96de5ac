"""Import customers from a Shopify customer CSV export, all or nothing.

Every problem is printed by line and column (never the value), and nothing is imported
unless the whole file is clean. Customers already known by e-mail are updated. The file
is read in chunks, never whole; the limits are the web form's (20 MB and
SHOPGUARD_IMPORT_MAX_ROWS rows), and a refused file is recorded in the ledger too.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from customers.importing import FORMATS, ImportRefused, import_customers


class Command(BaseCommand):
    help = "Import customers from a CSV file (Shopify's customer export). Nothing on any error."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=FORMATS, default="shopify")

    def handle(self, *args, file, format, **options):
        try:
            source = file.open("rb")
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        with source:
            result = self.run_import(source, format)
        self.stdout.write(
            f"Imported {result.created + result.updated} customers "
            f"({result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged; {result.encoding}; "
            f"sha256 {result.digest})."
        )

    def run_import(self, source, file_format):
        try:
            return import_customers(source, file_format)
        except ImportRefused as refused:
            for problem in refused.problems:
                self.stderr.write(str(problem))
            if refused.not_shown:
                self.stderr.write(f"... and {refused.not_shown} more.")
            raise CommandError(f"{refused.total} problem(s) found; nothing was imported.") from None
