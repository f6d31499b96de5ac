"""The ledger at a year's size: its pages at N entries against the same pages at 10,000,
its storage per 1,000 customer-list pages, and ``verify_audit``'s speed (issue #26).

Where it runs: two throwaway databases of the configured kind (SQLite files in a fresh
temporary directory, or databases ``<configured name>_bench_<hex>`` on the PostgreSQL
server of ``DATABASE_URL``), migrated here and dropped at the end whatever happens. Each
is swapped in as this thread's ``default`` connection while it is used, so the real admin
pages, ``record`` and ``verify_ledger`` run against it unchanged; the configured database
is never written.

How the ledgers grow: bulk-written rows, not the request path, with a realistic mix (a
fifth list pages of 50 customers, views, reveals, ledger reads, sign-ins and refused
sign-ins) by six people over the last year, 100,000 customers, and a valid chain, customer
index and daily counts, exactly as ``record`` writes them (``verify_ledger`` checks them).

How the pages are timed: the owner's requests through Django's test client, in process,
alternating the small and the large ledger request by request so that the machine's load
hits both alike; the figure is the median of each side, and the ratio large / small.
"""

import datetime
import os
import random
import resource
import secrets
import shutil
import statistics
import tempfile
import time
import uuid
from collections import Counter
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.utils import ConnectionHandler, load_backend
from django.test import Client
from django.utils import timezone

from audit import appearances
from audit.actions import Action, Outcome
from audit.chain import Head, canonical_json, chain_value
from audit.ledger import HEAD_PK, current_head, japan_day, record
from audit.management.commands.verify_audit import verify_ledger

LIST_ROWS = 50
CUSTOMERS = 100_000
SMALL = 10_000
PEOPLE = [
    (101, "bench-owner", "owner"),
    (102, "bench-manager", "manager"),
    (103, "bench-staff-1", "staff"),
    (104, "bench-staff-2", "staff"),
    (105, "bench-staff-3", "staff"),
    (106, "bench-auditor", "auditor"),
]
BUSY_PERSON = 103
# (action, outcome, share of entries, customers named)
MIX = [
    (Action.CUSTOMER_LIST, Outcome.OK, 20, LIST_ROWS),
    (Action.CUSTOMER_VIEW, Outcome.OK, 45, 1),
    (Action.CUSTOMER_REVEAL, Outcome.OK, 15, 1),
    (Action.AUDIT_READ, Outcome.OK, 5, 0),
    (Action.SIGN_IN, Outcome.OK, 10, 0),
    (Action.SIGN_IN_FAILED, Outcome.REFUSED, 5, 0),
]
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"
ENTRY_COLUMNS = [
    "id",
    "seq",
    "created_at",
    "action",
    "outcome",
    "actor_id",
    "actor_username",
    "actor_role",
    "ip",
    "user_agent",
    "request_id",
    "target_type",
    "target_id",
    "customer_ids",
    "detail",
    "prev_chain",
    "chain",
]
DAY_COLUMNS = ["day", "action", "outcome", "actor_username", "entries"]
# The ledger's tables (with their indexes): on PostgreSQL the entries' own GIN index
# finds a customer's entries, on SQLite two more tables do (audit.appearances).
LEDGER_TABLES = {
    "postgresql": ["audit_auditentry", "audit_auditday"],
    "sqlite": ["audit_auditentry", "audit_customerkey", "audit_appearance", "audit_auditday"],
}


def size_label(n):
    """1000000 -> "1m", 10000 -> "10k", 2500 -> "2500"."""
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def load_average():
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


# --- throwaway databases, swapped in as ``default`` -------------------------------------


@contextmanager
def scratch_database(label):
    """A new empty database of the configured kind, as a connection (alias ``default``,
    not registered anywhere); dropped at the end."""
    default = connections[DEFAULT_DB_ALIAS]
    config = dict(default.settings_dict)
    if default.vendor == "postgresql":
        name = f"{config['NAME']}_bench_{label}_{secrets.token_hex(3)}"
        with default._nodb_cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        config["NAME"], directory = name, None
    else:
        directory = tempfile.mkdtemp(prefix=f"shopguard-ledger-{label}-")
        name = config["NAME"] = os.path.join(directory, "ledger.sqlite3")
    config = ConnectionHandler({DEFAULT_DB_ALIAS: config}).settings[DEFAULT_DB_ALIAS]
    wrapper = load_backend(config["ENGINE"]).DatabaseWrapper(config, DEFAULT_DB_ALIAS)
    try:
        yield wrapper, name
    finally:
        wrapper.close()
        if directory:
            shutil.rmtree(directory, ignore_errors=True)
        else:
            with default._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


@contextmanager
def as_default(wrapper):
    """Make ``wrapper`` this thread's default connection for the block."""
    original = connections[DEFAULT_DB_ALIAS]
    connections[DEFAULT_DB_ALIAS] = wrapper
    try:
        yield
    finally:
        connections[DEFAULT_DB_ALIAS] = original


# --- growing a ledger -------------------------------------------------------------------


def customer_pool(count=CUSTOMERS):
    rng = random.Random(7)  # noqa: S311 - fake ids, not secrets
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(count)]


def grow(wrapper, entries, pool, *, out, batch=10_000):
    """Write ``entries`` ledger entries (and their customer index rows and daily counts)
    into the empty, migrated database behind ``wrapper``; return the last entry's time."""
    rng = random.Random(entries)  # noqa: S311 - a reproducible mix, not secrets
    kinds = [kind for kind in MIX for _ in range(kind[2])]
    key = settings.AUDIT_CHAIN_KEY
    now = timezone.now().replace(microsecond=0)
    start = now - datetime.timedelta(days=365)
    step = datetime.timedelta(days=365) / entries
    days = Counter()
    # The migrations write a few entries of their own: the grown ones follow them.
    with as_default(wrapper):
        head = current_head() or Head(0, "")
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM audit_auditentry")
            first_id = cursor.fetchone()[0] + 1 - head.seq - 1
    prev, written, started = head.chain, head.seq, time.perf_counter()
    entries += head.seq
    if wrapper.vendor == "sqlite":
        # A large page cache while the customer index grows at random places (256 MB);
        # back to SQLite's default before anything is timed.
        with wrapper.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")
    adapt = wrapper.ops.adapt_datetimefield_value
    while written < entries:
        rows, links = [], []
        for seq in range(written + 1, min(entries, written + batch) + 1):
            action, outcome, _share, named = rng.choice(kinds)
            actor_id, username, role = PEOPLE[rng.randrange(len(PEOPLE))]
            if named == LIST_ROWS:
                first = rng.randrange(CUSTOMERS - LIST_ROWS)
                customers = pool[first : first + LIST_ROWS]
            else:
                customers = [pool[rng.randrange(CUSTOMERS)]] if named else []
            target = ("customers.customer", customers[0]) if named == 1 else ("", "")
            detail = (
                {"field": "phone", "reason": "delivery"}
                if action == Action.CUSTOMER_REVEAL
                else {"view": "list", "filters": {}}
                if action == Action.AUDIT_READ
                else {}
            )
            when = start + step * seq
            entry = _Entry(
                seq=seq,
                created_at=when,
                action=str(action),
                outcome=str(outcome),
                actor_id=actor_id if outcome == Outcome.OK else None,
                actor_username=username,
                actor_role=role if outcome == Outcome.OK else "",
                ip=f"192.0.2.{actor_id - 100}",
                user_agent=USER_AGENT,
                request_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                target_type=target[0],
                target_id=target[1],
                customer_ids=customers,
                detail=detail,
                prev_chain=prev,
            )
            entry.chain = prev = chain_value(key, entry)
            stamp = adapt(when)
            named_json = canonical_json(customers)
            rows.append(
                (
                    first_id + seq,
                    seq,
                    stamp,
                    entry.action,
                    entry.outcome,
                    entry.actor_id,
                    username,
                    entry.actor_role,
                    entry.ip,
                    USER_AGENT,
                    entry.request_id,
                    entry.target_type,
                    entry.target_id,
                    named_json,
                    canonical_json(detail),
                    entry.prev_chain,
                    entry.chain,
                )
            )
            links.append((first_id + seq, named_json))
            days[(japan_day(when), entry.action, entry.outcome, username)] += 1
        with as_default(wrapper), transaction.atomic():
            write_rows(wrapper, "audit_auditentry", ENTRY_COLUMNS, rows)
            with wrapper.cursor() as cursor:
                appearances.write_many(cursor, links)
        written += len(rows)
        done = written - head.seq
        if done % (batch * 20) == 0 or written == entries:
            rate = done / (time.perf_counter() - started)
            out(f"  {done:,} entries written ({rate:,.0f} a second; load {load_average()})")
    with as_default(wrapper), transaction.atomic():
        write_rows(wrapper, "audit_auditday", DAY_COLUMNS, [(*k, n) for k, n in days.items()])
        with wrapper.cursor() as cursor:
            cursor.execute(
                "UPDATE audit_audithead SET seq = %s, chain = %s WHERE id = %s",
                [entries, prev, HEAD_PK],
            )
            if not cursor.rowcount:
                cursor.execute(
                    "INSERT INTO audit_audithead (id, seq, chain) VALUES (%s, %s, %s)",
                    [HEAD_PK, entries, prev],
                )
            if wrapper.vendor == "postgresql":
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('audit_auditentry', 'id'), "
                    "(SELECT MAX(id) FROM audit_auditentry))"
                )
    with wrapper.cursor() as cursor:
        cursor.execute("ANALYZE")
        if wrapper.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size = -2000")
    return now


class _Entry:
    """The columns ``chain_value`` reads, without a model instance per entry."""

    def __init__(self, **columns):
        self.__dict__.update(columns)


def write_rows(wrapper, table, columns, rows):
    if not rows:
        return
    with wrapper.cursor() as cursor:
        if wrapper.vendor == "postgresql":
            names = ", ".join(columns)
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                rows,
            )


def ledger_bytes(wrapper):
    """Bytes each of the ledger's tables takes on disk with its indexes."""
    sizes = {}
    with wrapper.cursor() as cursor:
        for table in LEDGER_TABLES[wrapper.vendor]:
            if wrapper.vendor == "postgresql":
                cursor.execute("SELECT pg_total_relation_size(%s::regclass)", [table])
            else:
                cursor.execute(
                    "SELECT SUM(pgsize) FROM dbstat WHERE name IN "
                    "(SELECT name FROM sqlite_master WHERE tbl_name = %s)",
                    [table],
                )
            sizes[table] = int(cursor.fetchone()[0] or 0)
    return sizes


# --- one ledger's owner and pages -------------------------------------------------------


def prepare(wrapper, label, entries, pool, out):
    """Migrate, grow to ``entries`` and sign in an owner; return the ledger's ``Side``."""
    from accounts.roles import set_role

    with as_default(wrapper):
        call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    grow(wrapper, entries, pool, out=out)
    out(f"{label}: {entries:,} entries grown in {time.perf_counter() - started:.1f} s")
    with as_default(wrapper):
        owner = get_user_model().objects.create_user(username=f"bench-viewer-{label}")
        set_role(owner, "owner")
    return Side(label, wrapper, owner, entries)


def confirm_second_factor(client, user):
    """Leave the session as the sign-in's second step does (the admin asks for it when
    ``SHOPGUARD_REQUIRE_2FA`` is on): a confirmed device django-otp verifies, and the flag."""
    import django_otp
    from django.http import HttpRequest
    from django_otp.plugins.otp_static.models import StaticDevice

    from accounts.signin import SECOND_FACTOR_KEY

    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="bench sign-in", defaults={"confirmed": True}
    )
    request = HttpRequest()
    request.session, request.user = client.session, user
    django_otp.login(request, device)
    request.session[SECOND_FACTOR_KEY] = True
    request.session.save()


class Side:
    def __init__(self, label, wrapper, owner, entries):
        self.label, self.wrapper, self.owner, self.entries = label, wrapper, owner, entries
        self.client = None

    def sign_in(self):
        """Sign the owner in just before timing: a session idle for 15 minutes (while
        the other ledger grows) has ended, and its pages would be the sign-in page."""
        with as_default(self.wrapper):
            self.client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="192.0.2.200")
            self.client.force_login(self.owner)
            confirm_second_factor(self.client, self.owner)

    def get(self, path):
        with as_default(self.wrapper):
            started = time.perf_counter()
            response = self.client.get(path, follow=True)
            elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code} on {self.label}")
        if response.redirect_chain and "/login/" in response.redirect_chain[-1][0]:
            raise RuntimeError(f"{path} sent the owner to sign in on {self.label}")
        return elapsed


def pages(pool):
    """(figure, path) of every ledger page the issue names."""
    ledger = "/admin/audit/auditentry/"
    return [
        ("ledger_list", ledger),
        ("ledger_deep_page", f"{ledger}?p=50"),
        ("ledger_person", f"{ledger}?actor={BUSY_PERSON}"),
        ("ledger_action", f"{ledger}?action=customer.reveal"),
        ("dashboard", "/admin/"),
        ("who_looked", f"{ledger}customer/{pool[CUSTOMERS // 2]}/"),
    ]


def time_pages(small, large, pool, rounds, out):
    times = {}
    for figure, path in pages(pool):
        small.get(path), large.get(path)  # warm: templates, caches
        for _ in range(rounds):
            for side in (small, large):
                times.setdefault((figure, side.label), []).append(side.get(path))
    names = f"{size_label(large.entries)}_vs_{size_label(small.entries)}"
    for figure, _path in pages(pool):
        a = statistics.median(times[(figure, small.label)]) * 1000
        b = statistics.median(times[(figure, large.label)]) * 1000
        out(f"{figure}_ms {a:.1f} at {small.entries:,} entries, {b:.1f} at {large.entries:,}")
        out(f"ratio {figure}_{names} {b / a:.2f}")


def time_record(small, large, rounds, out):
    """record() for the busiest person in the large ledger against the small one."""
    times = {small.label: [], large.label: []}
    for _ in range(rounds):
        for side in (small, large):
            with as_default(side.wrapper), transaction.atomic():
                person = get_user_model().objects.get(username=f"bench-viewer-{side.label}")
                started = time.perf_counter()
                record(Action.CUSTOMER_VIEW, actor=person, customers=[str(uuid.uuid4())])
                times[side.label].append(time.perf_counter() - started)
                transaction.set_rollback(True)
    a, b = (statistics.median(times[s.label]) * 1000 for s in (small, large))
    names = f"{size_label(large.entries)}_vs_{size_label(small.entries)}"
    out(f"audit_record_ms {a:.3f} at {small.entries:,} entries, {b:.3f} at {large.entries:,}")
    out(f"ratio record_{names} {b / a:.2f}")


def storage_per_list_views(side, pool, views, out):
    """Bytes 1,000 customer-list pages add to the ledger, written by ``record``."""
    with as_default(side.wrapper):
        person = get_user_model().objects.get(username=f"bench-viewer-{side.label}")
        before = ledger_bytes(side.wrapper)
        rng = random.Random(3)  # noqa: S311
        for _ in range(views):
            first = rng.randrange(CUSTOMERS - LIST_ROWS)
            with transaction.atomic():
                record(Action.CUSTOMER_LIST, actor=person, customers=pool[first : first + 50])
        with side.wrapper.cursor() as cursor:
            cursor.execute("ANALYZE" if side.wrapper.vendor == "postgresql" else "PRAGMA optimize")
        after = ledger_bytes(side.wrapper)
    grown = sum(after.values()) - sum(before.values())
    parts = ", ".join(f"{t} {(after[t] - before[t]) / views:,.0f}" for t in after)
    out(f"ledger_bytes_per_list_view {grown / views:,.0f} ({views} list pages of 50 customers)")
    out(f"ledger_bytes_per_list_view_by_table {parts} (each with its indexes)")
    out(f"ledger_mb_per_1000_list_views {grown / views * 1000 / 1e6:.2f}")


def verify_rate(side, out):
    with as_default(side.wrapper):
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started, cpu = time.perf_counter(), time.process_time()
        verdict = verify_ledger()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024
    out(f"verified {verdict.count:,} entries in one process, intact: {verdict.intact}")
    out(f"verify_audit_entries_per_second {verdict.count / elapsed:.0f}")
    out(f"verify_audit_entries_per_cpu_second {verdict.count / cpu:.0f}")
    out(f"verify_audit_peak_memory_growth_mb {grown:.1f}")
    if not verdict.intact:
        raise RuntimeError("the grown ledger did not verify")
    # As the command runs by default: ranges of the ledger in one process per core.
    workers = min(os.cpu_count() or 1, 4)
    with as_default(side.wrapper):
        started = time.perf_counter()
        verdict = verify_ledger(workers=workers)
        elapsed = time.perf_counter() - started
    out(f"verify_audit_entries_per_second_{workers}_workers {verdict.count / elapsed:.0f}")


def run(entries, *, small=SMALL, rounds=15, list_views=1000, out=print):
    out(f"load average before: {load_average()}")
    pool = customer_pool()
    with scratch_database("small") as (a, a_name), scratch_database("large") as (b, b_name):
        out(f"throwaway databases: {a_name} and {b_name} (dropped afterwards)")
        small_side = prepare(a, "small", small, pool, out)
        large_side = prepare(b, "large", entries, pool, out)
        out(f"load average after growing: {load_average()}")
        small_side.sign_in(), large_side.sign_in()
        time_pages(small_side, large_side, pool, rounds, out)
        time_record(small_side, large_side, rounds * 10, out)
        storage_per_list_views(large_side, pool, list_views, out)
        verify_rate(large_side, out)
    out(f"load average after: {load_average()}")
