"""Check a signed evidence pack: exit 0 when intact, 1 naming what was changed."""

import sys

from django.core.management.base import BaseCommand, CommandError

from audit.checkpoint import CheckpointError, parse_public_key
from dashboard import pack


class Command(BaseCommand):
    help = (
        "Check an evidence pack (ZIP) from the evidence page: the manifest's Ed25519 "
        "signature and every file's SHA-256. Exit 0 intact, 1 otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("pack", help="the evidence pack's ZIP file")
        parser.add_argument(
            "--public-key",
            help="the shop's public key (base64, as verify_audit takes it); without it the "
            "pack's own PUBLIC-KEY.pem is used: compare the printed fingerprint with the shop's",
        )

    def handle(self, *args, **options):
        try:
            with open(options["pack"], "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise CommandError(f"{options['pack']} cannot be read: {error}") from None
        public_key = None
        if options["public_key"]:
            try:
                public_key = parse_public_key(options["public_key"])
            except CheckpointError as error:
                raise CommandError(str(error)) from None
        check = pack.verify(data, public_key)
        if check.intact:
            self.stdout.write(f"intact: signed by the key with fingerprint {check.fingerprint}")
            return
        for problem in check.problems:
            self.stderr.write(f"NOT INTACT: {problem}")
        sys.exit(1)
