"""Run every scheduled job that is due (upkeep/schedule.py), each under its own lock.

Call it every 15 minutes from the systemd timer or the cron line in ``deploy/``. Each run
of a job is a ``job.run`` ledger entry with its outcome; ``--job NAME`` runs only that
job, ``--force`` runs it even when it is not due. Exit 1 when a job failed.
"""

from django.core.management.base import BaseCommand, CommandError

from upkeep.schedule import JOBS, JOBS_BY_NAME, run_due


class Command(BaseCommand):
    help = "Run the scheduled jobs that are due (export expiry, checks, retention, backup)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--job", action="append", default=[], choices=[job.name for job in JOBS]
        )
        parser.add_argument("--force", action="store_true", help="run even if not due")

    def handle(self, **options):
        names = options["job"]
        unknown = [name for name in names if name not in JOBS_BY_NAME]
        if unknown:
            raise CommandError(f"No such job: {', '.join(unknown)}")
        results = run_due(names=names, force=options["force"])
        for ran in results:
            line = f"{ran.job}: {ran.status}"
            self.stdout.write(f"{line} ({ran.message})" if ran.message else line)
        if any(ran.status == "failed" for ran in results):
            raise SystemExit(1)
