"""Import customers from a shop platform's customer CSV, or any CSV through a saved
mapping, all or nothing.

``--format shopify`` (Shopify's customer export) or ``--format eccube`` (EC-CUBE 4's
member CSV) name a platform's layout, shipped as data in customers/presets/;
``--format shopify-orders`` or ``eccube-orders`` import the platform's order CSV as
purchases (customers.orders);
``--preset NAME`` a mapping saved on the import page for another CSV (BASE, STORES, an
Excel sheet). Every problem is printed by line and column (never the value), and nothing
is imported unless the whole file is clean. Customers already known by their platform id
or e-mail are updated. The file is read in chunks, never whole; the limits are the web
form's (20 MB and SHOPGUARD_IMPORT_MAX_ROWS rows), and a refused file is recorded in the
ledger too.

A value that looks like a lost character (「?野」 where 「𠮷野」 is stored: the file went
through an encoding that cannot hold it) keeps the stored value and is counted in the
output; ``--accept-lost-characters`` applies such values after all.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from customers.importing import FORMATS, ImportRefused, import_customers
from customers.models import ImportPreset
from customers.orders import ORDER_FORMATS, import_orders


class Command(BaseCommand):
    help = (
        "Import customers from a CSV file (a platform's customer export, or a saved "
        "mapping with --preset). Nothing on any error."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=FORMATS + ORDER_FORMATS, default="shopify")
        parser.add_argument("--preset", help="The name of a mapping saved on the import page.")
        parser.add_argument(
            "--accept-lost-characters",
            action="store_true",
            help="Apply values with ?, ？ or U+FFFD where the stored value has a character.",
        )

    def handle(self, *args, file, format, preset, accept_lost_characters, **options):
        layout = self.preset_layout(preset) if preset else format
        try:
            source = file.open("rb")
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        with source:
            if format in ORDER_FORMATS and not preset:
                return self.report_orders(self.run(import_orders, source, format))
            result = self.run(import_customers, source, layout, accept_lost=accept_lost_characters)
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

    def preset_layout(self, name):
        try:
            return ImportPreset.objects.get(name=name).layout()
        except ImportPreset.DoesNotExist:
            known = ", ".join(ImportPreset.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"No saved mapping named {name!r} (saved: {known}).") from None

    def report_orders(self, result):
        self.stdout.write(
            f"Imported {result.purchases} purchases from {result.orders} orders "
            f"({result.encoding}; sha256 {result.digest})."
        )

    def run(self, import_file, source, layout, **options):
        try:
            return import_file(source, layout, **options)
        except ImportRefused as refused:
            for problem in refused.problems:
                self.stderr.write(str(problem))
            if refused.not_shown:
                self.stderr.write(f"... and {refused.not_shown} more.")
            if refused.uncategorised:
                self.stderr.write(
                    "Products without a category (choose each one's category once, "
                    "under 商品のカテゴリ in the admin):"
                )
                for product in refused.uncategorised:
                    self.stderr.write(f"  {product}")
            raise CommandError(f"{refused.total} problem(s) found; nothing was imported.") from None
