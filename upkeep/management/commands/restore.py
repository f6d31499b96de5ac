"""Restore a backup into an empty database, then say what was found.

``restore ARCHIVE --identity KEYFILE``: the key file holds the age private key
(AGE-SECRET-KEY-1...), kept by the owner away from the server. A damaged or altered
archive is refused by name before anything is written. After loading, the ledger is
verified and must end where the backup's manifest says and reach the last signed
checkpoint kept in the archive, and a sample of sealed values must open with the
configured field keys. Exit 1 if any of that fails.
"""

import tempfile

from django.core.management.base import BaseCommand, CommandError

from audit import checkpoint as checkpoints
from upkeep import restoring
from upkeep.backups import BackupError, manifest_text, open_archive


class Command(BaseCommand):
    help = "Restore an encrypted backup into an empty database and check what came back."

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--identity", required=True, help="the age private key file")
        parser.add_argument(
            "--public-key", help="the checkpoints' public key (default: from AUDIT_SIGNING_KEY)"
        )

    def handle(self, **options):
        try:
            public_key = self.public_key(options["public_key"])
            restoring.refuse_unless_empty()
            with tempfile.TemporaryDirectory(prefix="shopguard-restore-") as folder:
                opened = open_archive(options["archive"], options["identity"], folder)
                self.stdout.write(manifest_text(opened.manifest))
                restoring.load(opened)
                findings = restoring.check(opened, public_key)
        except BackupError as error:
            raise CommandError(str(error)) from None
        restoring.record_restore(options["archive"], opened.manifest, findings)
        for line in findings.lines:
            self.stdout.write(line)
        if findings.problems:
            self.stderr.write("restored, but NOT as backed up: see the problems above")
            raise SystemExit(1)
        self.stdout.write("restored and checked: all is as backed up")

    def public_key(self, text):
        if text:
            try:
                return checkpoints.parse_public_key(text)
            except checkpoints.CheckpointError as error:
                raise CommandError(str(error)) from None
        try:
            return checkpoints.signing_key().public_key()
        except checkpoints.CheckpointError:
            return None
