"""Re-encrypt every encrypted column under the newest field key; optionally rebuild the
blind indexes under the current BLIND_INDEX_KEY.

Field keys: put the new key first in FIELD_ENCRYPTION_KEYS (old ones after it), restart,
run ``rotate_keys``; once it reports no value under the old key id, remove that key.
Interrupted? Run it again: values already under the newest key are skipped.

Blind-index key: replace BLIND_INDEX_KEY, restart, run ``rotate_keys --blind-index``;
searches find rows again as soon as their indexes are rebuilt.
"""

from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit import ledger
from audit.actions import Action
from customers import rotation
from vault.encryption import DecryptionError, current_key_id


class Command(BaseCommand):
    help = "Re-encrypt every encrypted value under the newest key (and rebuild blind indexes)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only report, change nothing")
        parser.add_argument("--batch-size", type=int, default=rotation.DEFAULT_BATCH_SIZE)
        parser.add_argument(
            "--blind-index",
            action="store_true",
            help="also recompute every blind index under the current BLIND_INDEX_KEY",
        )

    def handle(self, *args, dry_run, batch_size, blind_index, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        models = rotation.encrypted_models()
        self.stdout.write(f"Current key id: {current_key_id()}")
        before = self.report("before", models)
        if dry_run:
            pending = sum(n for kid, n in before.items() if kid != current_key_id())
            self.stdout.write(f"Dry run: {pending} values would be re-encrypted; nothing changed.")
            return
        rewritten = {}
        for model in models:
            try:
                rewritten[model._meta.label] = rotation.rotate_model(model, batch_size)
            except DecryptionError as error:
                # The batch under way rolled back; earlier batches stay rotated.
                raise CommandError(
                    f"{error}. Keep every old key in FIELD_ENCRYPTION_KEYS until rotation "
                    "has finished; run rotate_keys again once it is back."
                ) from None
            self.stdout.write(f"{model._meta.label}: {rewritten[model._meta.label]} re-encrypted")
        rebuilt = {}
        if blind_index:
            for model in rotation.blind_indexed_models():
                rebuilt[model._meta.label] = rotation.rebuild_blind_indexes(model, batch_size)
                self.stdout.write(f"{model._meta.label}: {rebuilt[model._meta.label]} reindexed")
        after = self.report("after", models)
        ledger.record(
            Action.KEYS_ROTATE,
            target=("shopguard.key", current_key_id()),
            detail={
                "key_id": current_key_id(),
                "before": before,
                "after": after,
                "re_encrypted": rewritten,
                "blind_indexes_rebuilt": rebuilt,
            },
        )

    def report(self, label, models):
        """Print and return {key id: values} over every encrypted column."""
        total = Counter()
        for model in models:
            counts = rotation.key_counts(model)
            total.update(counts)
            shown = ", ".join(f"{kid}={n}" for kid, n in sorted(counts.items())) or "no values"
            self.stdout.write(f"  {label} {model._meta.label}: {shown}")
        configured = settings.FIELD_ENCRYPTION_KEYS
        for kid, n in sorted(total.items(), key=lambda item: str(item[0])):
            missing = "" if kid in configured else " (NOT CONFIGURED: cannot be decrypted)"
            self.stdout.write(f"{label} key {kid}: {n} values{missing}")
        return dict(total)
