"""Write one encrypted backup of the database (see upkeep/backups.py).

The archive is encrypted to ``BACKUP_RECIPIENT`` (an age public key): this server can
write it and cannot read it. Each backup is a ``backup.made`` ledger entry, which the
home page's backup item reads.
"""

from django.core.management.base import BaseCommand, CommandError

from upkeep.backups import BackupError, make_backup


class Command(BaseCommand):
    help = "Write an age-encrypted backup of the database (to BACKUP_RECIPIENT)."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="the archive to write (default: in BACKUP_DIR)")

    def handle(self, **options):
        try:
            made = make_backup(options["output"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        counts = made.manifest["counts"]
        self.stdout.write(
            f"backup written to {made.path} ({made.size} bytes, sha256 {made.sha256}): "
            f"{counts['customers']} customers, ledger head {made.manifest['ledger']['head_seq']}"
        )
