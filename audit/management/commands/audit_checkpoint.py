"""Sign a checkpoint of the audit ledger and keep it outside the database.

Verifies the ledger first (a checkpoint vouches only for a ledger that verifies), then
appends one signed line to ``AUDIT_CHECKPOINT_FILE`` (or ``--file``) and mails it to the
active owners (``--no-mail`` or ``AUDIT_CHECKPOINT_MAIL=0`` to skip). Run it from cron;
``verify_audit --checkpoint FILE`` later proves the ledger still reaches every
checkpoint. ``--public-key`` prints the public key the owner keeps for that check.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit import checkpoint as checkpoints
from audit.management.commands.verify_audit import verify_ledger


class Command(BaseCommand):
    help = "Append a signed checkpoint of the audit ledger to a file and mail it to the owners."

    def add_arguments(self, parser):
        parser.add_argument("--file", help="append here (default: AUDIT_CHECKPOINT_FILE)")
        parser.add_argument("--no-mail", action="store_true", help="do not mail the owners")
        parser.add_argument(
            "--public-key", action="store_true", help="print the public key and stop"
        )

    def handle(self, **options):
        try:
            key = checkpoints.signing_key()
        except checkpoints.CheckpointError as error:
            raise CommandError(str(error)) from None
        if options["public_key"]:
            self.print_public_key(key.public_key())
            return
        verdict = verify_ledger()
        if not verdict.intact:
            raise CommandError(f"audit ledger NOT intact, no checkpoint: {verdict.message}")
        if verdict.count == 0:
            self.stdout.write("The audit ledger is empty: nothing to checkpoint.")
            return
        signed = checkpoints.sign(verdict.head_seq, verdict.head, key)
        self.keep(signed, options)

    def keep(self, signed, options):
        path = options["file"] or settings.AUDIT_CHECKPOINT_FILE
        try:
            checkpoints.append(signed, path)
        except OSError as error:
            raise CommandError(f"Cannot write the checkpoint to {path}: {error}") from None
        self.stdout.write(f"checkpoint of entry {signed.seq} appended to {path}")
        self.stdout.write(signed.line())
        if options["no_mail"] or not settings.AUDIT_CHECKPOINT_MAIL:
            return
        try:
            mailed = checkpoints.mail_owners(signed)
        except OSError as error:
            raise CommandError(f"Checkpoint written, but not mailed: {error}") from None
        self.stdout.write(f"mailed to {mailed} owner(s)")

    def print_public_key(self, public_key):
        self.stdout.write(checkpoints.public_key_text(public_key))
        self.stdout.write(f"fingerprint {checkpoints.fingerprint(public_key)}")
