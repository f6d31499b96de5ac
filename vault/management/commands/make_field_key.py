"""Print one new field-encryption key in the ``id:key`` form FIELD_ENCRYPTION_KEYS takes.

To rotate, put the new key first in FIELD_ENCRYPTION_KEYS (keeping the old ones after
it), restart, and run ``rotate_keys``.
"""

from django.core.management.base import BaseCommand

from vault.keys import new_field_key


class Command(BaseCommand):
    help = "Print a new key for FIELD_ENCRYPTION_KEYS (format keyid:base64key)."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(new_field_key())
