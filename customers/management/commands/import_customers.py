"""Import customers from a Shopify customer CSV export, all or nothing.

Every problem is printed by line and column (never the value), and nothing is imported
unless the whole file is clean. Customers already known by e-mail are updated. The file
is read in chunks, never whole; the limits are the web form's (20 MB and
SHOPGUARD_IMPORT_MAX_ROWS rows), and a refused file is recorded in the ledger too.

A value that looks like a lost character (「?野」 where 「𠮷野」 is stored: the file went
through an encoding that cannot hold it) keeps the stored value and is counted in the
output; ``--accept-lost-characters`` applies such values after all.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from customers.importing import FORMATS, ImportRefused, import_customers


class Command(BaseCommand):
    help = "Import customers from a CSV file (Shopify's customer export). Nothing on any error."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=FORMATS, default="shopify")
        parser.add_argument(
            "--accept-lost-characters",
            action="store_true",
            help="Apply values with ?, ？ or U+FFFD where the stored value has a character.",
        )

    def handle(self, *args, file, format, accept_lost_characters, **options):
        try:
            source = file.open("rb")
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        with source:
            result = self.run_import(source, format, accept_lost_characters)
        self.stdout.write(
            f"Imported {result.created + result.updated} customers "
            f"({result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged; {result.encoding}; "
            f"sha256 {result.digest})."
        )
        if result.kept_lost:
            self.stdout.write(
                f"Kept {result.kept_lost} stored values: the file's looked like lost "
                "characters (?, ？ or U+FFFD). Check the file's encoding, or rerun with "
                "--accept-lost-characters to apply them."
            )

    def run_import(self, source, file_format, accept_lost):
        try:
            return import_customers(source, file_format, accept_lost=accept_lost)
        except ImportRefused as refused:
            for problem in refused.problems:
                self.stderr.write(str(problem))
            if refused.not_shown:
                self.stderr.write(f"... and {refused.not_shown} more.")
            raise CommandError(f"{refused.total} problem(s) found; nothing was imported.") from None
