"""Load the real app under gunicorn with concurrent signed-in clients; print the figures.

Everything runs against a throwaway database of the configured kind (see
devtools/http_bench.py): child processes migrate and seed it and gunicorn serves it on
127.0.0.1; the configured database is never touched. Prints per page the requests,
requests per second, p50/p95/p99 and errors, the load average before and after, then
``ratio http_<page>_vs_privacy <value>`` (the page's mean time per request divided by
the public /privacy/ page's, under the same concurrency) and ``errors total <n>``.
Exits non-zero when any request failed.
"""

from django.core.management.base import BaseCommand, CommandError

from devtools import http_bench


class Command(BaseCommand):
    help = "Load-test list, detail, search, reveal and /privacy/ under gunicorn; print ratios."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=5000)
        parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
        parser.add_argument("--requests", type=int, default=400, help="requests per page")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
        parser.add_argument(
            "--rounds", type=int, default=10, help="the pages take turns in this many blocks"
        )
        parser.add_argument(
            "--max-seconds", type=float, default=600, help="the whole run stops after this"
        )
        parser.add_argument(
            "--timeout", type=float, default=30, help="seconds one request may take"
        )

    def handle(self, *args, **options):
        plan = http_bench.Plan(
            customers=options["customers"],
            clients=options["clients"],
            requests=options["requests"],
            workers=options["workers"],
            max_seconds=options["max_seconds"],
            timeout=options["timeout"],
            rounds=options["rounds"],
        )
        if min(plan.customers, plan.clients, plan.requests, plan.workers, plan.rounds) < 1:
            raise CommandError(
                "--customers, --clients, --requests, --workers and --rounds must be >= 1."
            )
        if plan.rounds > plan.requests:
            raise CommandError("--rounds may not exceed --requests.")
        if plan.clients > 64 or plan.workers > 16:
            # Bounded: this is a benchmark on one machine, not a load generator.
            raise CommandError("at most 64 clients and 16 workers.")
        if plan.max_seconds <= 0 or plan.timeout <= 0:
            raise CommandError("--max-seconds and --timeout must be positive.")
        try:
            results, warm_errors = http_bench.run(plan, out=self.stdout.write)
        except http_bench.BenchError as failure:
            raise CommandError(str(failure)) from None
        failed = len(warm_errors) + sum(len(r.errors) for r in results.values())
        if failed:
            raise CommandError(f"{failed} request(s) failed; see the errors above.")
