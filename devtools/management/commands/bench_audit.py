"""Measure the ledger: what ``record`` adds to a request (for a fresh person and for a
busy one), the ledger's pages at ``--entries`` entries against 10,000, its storage per
1,000 list pages, and ``verify_audit``'s speed.

Prints ``ratio record_busy_vs_fresh <value>``: record() for a person with 50,000 customer
links in the last hour divided by record() for a person with none (DESIGN: audit adds
at most 2 ms a request whatever the person's history, so the ratio should stay near 1).
Those two figures run in the configured database inside a transaction that is rolled back,
so the real ledger is left exactly as it was (on SQLite other writers wait meanwhile).

Then (devtools/ledger_bench.py) two throwaway ledgers of the configured kind are grown, to
``--small`` (10,000) and ``--entries`` (1,000,000) entries, and the pages that read them
are timed alternately: ``ratio ledger_list_1m_vs_10k``, ``ledger_deep_page``,
``ledger_person``, ``ledger_action``, ``dashboard``, ``who_looked``, ``record``; then
``ledger_mb_per_1000_list_views`` and ``verify_audit_entries_per_second`` on the large one.
"""

import statistics
import time
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import RequestFactory

from audit.actions import Action
from audit.ledger import record
from devtools import ledger_bench

# A busy hour for the record_busy_vs_fresh figure: 1,000 list pages of 50 rows.
BUSY_LINKS = 50_000
LIST_ROWS = 50
LIST_POOL = 5_000  # the shop's customers the pages walk through


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Measure record(), the ledger's pages at N entries vs 10,000, storage, verify_audit."

    def add_arguments(self, parser):
        parser.add_argument(
            "--entries", type=int, default=1_000_000, help="the large ledger's entries"
        )
        parser.add_argument(
            "--small", type=int, default=ledger_bench.SMALL, help="the small ledger's entries"
        )
        parser.add_argument("--rounds", type=int, default=15, help="requests per page and side")
        parser.add_argument(
            "--list-views", type=int, default=1000, help="list pages written for the storage figure"
        )
        parser.add_argument("--records", type=int, default=300)
        parser.add_argument(
            "--busy-links", type=int, default=BUSY_LINKS, help="the busy person's links this hour"
        )

    def handle(self, **options):
        self.measure_record(options["records"])
        try:
            with transaction.atomic():
                self.measure_busy_vs_fresh(options["records"], options["busy_links"])
                raise Rollback
        except Rollback:
            pass
        ledger_bench.run(
            options["entries"],
            small=options["small"],
            rounds=options["rounds"],
            list_views=options["list_views"],
            out=self.stdout.write,
        )

    def measure_record(self, count):
        request = RequestFactory().get("/admin/customers/customer/", REMOTE_ADDR="192.0.2.1")
        # A real person when there is one, so the per-person alert check is included.
        request.user = (
            get_user_model().objects.filter(is_active=True, groups__isnull=False).first()
            or AnonymousUser()
        )
        request.request_id = str(uuid.uuid4())
        spent = 0.0
        cpu = time.process_time()
        for _ in range(count):
            customer = uuid.uuid4()
            # One request's transaction, rolled back: the real ledger is not touched.
            with transaction.atomic():
                started = time.perf_counter()
                record(
                    Action.CUSTOMER_VIEW,
                    request=request,
                    target=("customers.customer", customer),
                    customers=[customer],
                )
                spent += time.perf_counter() - started
                transaction.set_rollback(True)
        cpu = (time.process_time() - cpu) / count * 1000
        self.stdout.write(f"audit_record_ms {spent / count * 1000:.3f}")
        self.stdout.write(f"audit_request_cpu_ms {cpu:.3f} (record and its transaction, CPU time)")

    def measure_busy_vs_fresh(self, count, links):
        users = get_user_model().objects
        fresh = users.create_user(username=f"bench-fresh-{uuid.uuid4().hex[:8]}")
        busy = users.create_user(username=f"bench-busy-{uuid.uuid4().hex[:8]}")
        viewed = self.make_history(busy, links)
        # Alternate the two people so drift in the machine's load hits both alike.
        times = {fresh.pk: [], busy.pk: []}
        for number in range(count):
            for person in (fresh, busy):
                times[person.pk].append(self.time_one_view(person, viewed[number % len(viewed)]))
        fresh_ms = statistics.median(times[fresh.pk]) * 1000
        busy_ms = statistics.median(times[busy.pk]) * 1000
        self.stdout.write(f"audit_record_fresh_ms {fresh_ms:.3f}")
        self.stdout.write(f"audit_record_busy_ms {busy_ms:.3f} ({links} links this hour)")
        self.stdout.write(f"ratio record_busy_vs_fresh {busy_ms / fresh_ms:.2f}")

    def make_history(self, person, links):
        """An hour of a busy shift: list pages showing ``links`` customer rows, and a few
        customers opened (fewer than the alert's limit, so no alert changes the path)."""
        shown = [str(uuid.uuid4()) for _ in range(LIST_POOL)]
        for page in range(links // LIST_ROWS):
            start = page * LIST_ROWS % LIST_POOL
            record("customer.list", actor=person, customers=shown[start : start + LIST_ROWS])
        opened = settings.SHOPGUARD_ALERT_DISTINCT_CUSTOMERS_PER_HOUR - 10
        viewed = [str(uuid.uuid4()) for _ in range(max(1, opened))]
        for customer in viewed:
            record("customer.view", actor=person, customers=[customer])
        return viewed

    def time_one_view(self, person, customer):
        with transaction.atomic():
            started = time.perf_counter()
            record("customer.view", actor=person, customers=[customer])
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        return elapsed
