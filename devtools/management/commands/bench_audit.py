"""Measure the ledger: what ``record`` adds to a request (for a fresh person and for a
busy one), and ``verify_audit``'s speed.

Prints ``ratio record_busy_vs_fresh <value>``: record() for a person with 50,000 customer
links in the last hour divided by record() for a person with none (DESIGN: audit adds
at most 2 ms a request whatever the person's history, so the ratio should stay near 1).

Everything happens inside one transaction that is rolled back at the end, so the real
ledger is left exactly as it was (on SQLite other writers wait meanwhile).
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
from django.utils import timezone

from audit.actions import Action
from audit.chain import Head, chain_value
from audit.ledger import HEAD_PK, current_head, record
from audit.management.commands.verify_audit import verify_ledger
from audit.models import AuditEntry, AuditEntryCustomer, AuditHead

# A busy hour for the record_busy_vs_fresh figure: 1,000 list pages of 50 rows.
BUSY_LINKS = 50_000
LIST_ROWS = 50
LIST_POOL = 5_000  # the shop's customers the pages walk through


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Measure record() per request and verify_audit's entries per second (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--entries", type=int, default=100_000)
        parser.add_argument("--records", type=int, default=300)
        parser.add_argument(
            "--busy-links", type=int, default=BUSY_LINKS, help="the busy person's links this hour"
        )

    def handle(self, **options):
        self.measure_record(options["records"])
        try:
            with transaction.atomic():
                self.measure_busy_vs_fresh(options["records"], options["busy_links"])
                self.measure_verify(options["entries"])
                raise Rollback
        except Rollback:
            pass

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

    def measure_verify(self, count):
        self.stdout.write(f"writing {count} synthetic entries (rolled back afterwards)...")
        head = current_head() or Head(0, "")
        seq, prev = head.seq, head.chain
        now = timezone.now()
        batch = []
        for _ in range(count):
            seq += 1
            entry = AuditEntry(
                seq=seq,
                created_at=now,
                action=Action.CUSTOMER_VIEW,
                actor_id=3,
                actor_username="bench",
                actor_role="staff",
                ip="192.0.2.10",
                user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0",
                request_id=str(uuid.uuid4()),
                target_type="customers.customer",
                target_id=str(uuid.uuid4()),
                customer_ids=[str(uuid.uuid4())],
                detail={"fields": ["phone"], "reason": "delivery"},
                prev_chain=prev,
            )
            entry.chain = prev = chain_value(settings.AUDIT_CHAIN_KEY, entry)
            batch.append(entry)
            if len(batch) == 5000:
                self.write_batch(batch)
                batch = []
        self.write_batch(batch)
        AuditHead.objects.filter(pk=HEAD_PK).update(seq=seq, chain=prev)
        started, cpu = time.perf_counter(), time.process_time()
        verdict = verify_ledger()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        self.stdout.write(
            f"verified {verdict.count} entries in one process, intact: {verdict.intact}"
        )
        self.stdout.write(f"verify_audit_entries_per_second {verdict.count / elapsed:.0f}")
        self.stdout.write(f"verify_audit_entries_per_cpu_second {verdict.count / cpu:.0f}")

    def write_batch(self, entries):
        """The entries and their customer index rows, as ``record`` would write them."""
        AuditEntry.objects.bulk_create(entries)
        AuditEntryCustomer.objects.bulk_create(
            AuditEntryCustomer(
                entry_id=entry.pk,
                customer_id=customer,
                actor_id=entry.actor_id,
                created_at=entry.created_at,
            )
            for entry in entries
            for customer in entry.customer_ids
        )
