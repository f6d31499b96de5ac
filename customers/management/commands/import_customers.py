"""Import customers from a Shopify customer CSV export, all or nothing.

Every problem is printed by line and column (never the value), and nothing is imported
unless the whole file is clean. Customers already known by e-mail are updated.
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
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        try:
            result = import_customers(data, format)
        except ImportRefused as refused:
            for problem in refused.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(refused.problems)} problem(s) found; nothing was imported."
            ) from None
        self.stdout.write(
            f"Imported {result.created + result.updated} customers "
            f"({result.created} created, {result.updated} updated; {result.encoding}; "
            f"sha256 {result.digest})."
        )
