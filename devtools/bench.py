"""Benchmark: the encrypted Customer model against a plaintext twin on the same rows.

Where it runs: in a throwaway database of the configured kind (a SQLite file in a fresh
temporary directory, or a new database on the PostgreSQL server of ``DATABASE_URL``),
added as an extra database alias for the duration of the run and deleted afterwards. Nothing is read
from or written to the configured database, so ``bench`` is safe to run next to real
customer data; and both models meet the same engine, file system and page cache, so the
ratios compare encryption, not databases.

The twin: ``PlainCustomer`` and ``PlainPurchase`` live in an isolated app registry
(``Meta.apps``), so they never join ShopGuard's models, migrations or permissions. Their
tables are created with ``schema_editor`` in the throwaway database and dropped at the
end. They have the same columns in plaintext, with ordinary indexes on e-mail and phone
where the encrypted model has blind indexes.

Timing: each figure runs both sides alternately, several times, with the garbage
collector paused (as ``timeit`` does), and keeps each side's best run; the ratio is
encrypted time divided by plaintext time.
"""

import gc
import importlib
import multiprocessing
import os
import random
import re
import secrets
import shutil
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

from django.apps.registry import Apps
from django.db import connections, models, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.db.utils import ConnectionHandler, load_backend
from django.template import Context, Engine
from django.utils import timezone

from customers.admin import CustomerAdmin
from customers.models import Category, Customer, Purchase
from customers.paging import OLDER, page_of
from devtools.demo import (
    CUSTOMER_FIELDS,
    fake_customer_values,
    fake_purchases,
)
from vault.blind_index import blind_index, normalise
from vault.reads import bulk_read

BENCH_DB = "shopguard_bench"
PAGE_SIZE = CustomerAdmin.list_per_page  # the real list page's size
BATCH_SIZE = 1000

_twin_apps = Apps()


class PlainCustomer(models.Model):  # noqa: DJ008 - never shown
    """Customer in plaintext: same fields, ordinary indexes where Customer has blind ones.

    Every column of Customer has its twin here (a test keeps them in step), so both sides
    load the same kinds of values per row and differ only in the encryption."""

    id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=100)
    name_kana = models.CharField(max_length=100, blank=True)
    gender = models.CharField(max_length=20)
    postal_code = models.CharField(max_length=10, blank=True)
    address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.CharField(max_length=254, blank=True)
    card_token = models.CharField(max_length=100, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    card_exp = models.CharField(max_length=7, blank=True)
    # Where Customer keeps keyed hashes of the normalised values, the twin keeps the
    # normalised values themselves, indexed: the same search minus the cryptography.
    email_key = models.CharField(max_length=254, blank=True, db_index=True)
    phone_key = models.CharField(max_length=30, blank=True, db_index=True)
    name_key = models.CharField(max_length=100, blank=True, db_index=True)
    name_kana_key = models.CharField(max_length=100, blank=True, db_index=True)
    external_id = models.CharField(max_length=80, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Customer's dates of later events (erasure, stop of provision): empty here as there.
    anonymised_at = models.DateTimeField(null=True)
    third_party_stopped_at = models.DateTimeField(null=True)

    class Meta:
        apps = _twin_apps
        app_label = "shopguard_bench"
        db_table = "shopguard_bench_plain_customer"
        # The same ordering, served by the same index, as Customer's list page.
        ordering = Customer._meta.ordering
        indexes = [models.Index(fields=["-created_at", "-id"], name="plain_customer_newest")]


class PlainPurchase(models.Model):  # noqa: DJ008 - never shown
    id = models.UUIDField(primary_key=True)
    customer = models.ForeignKey(PlainCustomer, on_delete=models.CASCADE)
    product_name = models.CharField(max_length=200)
    category_id = models.IntegerField()
    amount = models.PositiveIntegerField()
    purchased_on = models.DateField()

    class Meta:
        apps = _twin_apps
        app_label = "shopguard_bench"
        db_table = "shopguard_bench_plain_purchase"
        ordering = Purchase._meta.ordering


@dataclass
class Side:
    """One side of the comparison: a customer model and its purchase model."""

    label: str
    customers: type
    purchases: type
    find_email: object = None
    find_phone: object = None


@dataclass
class Figure:
    name: str
    encrypted: float
    plaintext: float
    notes: list = field(default_factory=list)

    @property
    def ratio(self):
        return self.encrypted / self.plaintext


@contextmanager
def throwaway_database(sqlite_only=False):
    """Register a connection BENCH_DB to a fresh database; remove both afterwards.

    On SQLite a new file in a temporary directory; on PostgreSQL (``DATABASE_URL``) a new
    database on the same server, dropped at the end. The connection is made here and
    registered for this thread only; it is never added to settings.DATABASES, so nothing
    else (migrate, flush, test set-up) ever sees it.
    """
    default = connections["default"]
    if default.vendor == "postgresql" and not sqlite_only:
        # Named after the configured database (``<name>_bench_<hex>``), so that a server
        # shared by several checkouts shows whose throwaway database it is.
        name = f"{default.settings_dict['NAME']}_bench_{secrets.token_hex(4)}"
        with default._nodb_cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        config = {**default.settings_dict, "NAME": name}
        where, drop = f"database {name} on the configured PostgreSQL server", name
    else:  # SQLite (or asked for: the export bench's child processes open the file)
        directory = tempfile.mkdtemp(prefix="shopguard-bench-")
        where = os.path.join(directory, "bench.sqlite3")
        config, drop = {"ENGINE": "django.db.backends.sqlite3", "NAME": where}, None
    config = ConnectionHandler({"default": config}).settings["default"]  # adds the defaults
    connections[BENCH_DB] = load_backend(config["ENGINE"]).DatabaseWrapper(config, BENCH_DB)
    try:
        yield where
    finally:
        connections[BENCH_DB].close()
        del connections[BENCH_DB]
        if drop:
            with default._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{drop}"')
        else:
            shutil.rmtree(os.path.dirname(where), ignore_errors=True)


BENCH_MODELS = (Category, Customer, Purchase, PlainCustomer, PlainPurchase)


def create_tables():
    with connections[BENCH_DB].schema_editor() as editor:
        for model in BENCH_MODELS:
            editor.create_model(model)
    seeding = importlib.import_module("customers.migrations.0002_categories")
    Category.objects.using(BENCH_DB).bulk_create(
        Category(code=code, name_ja=ja, name_en=en, sensitive=sensitive)
        for code, ja, en, sensitive in seeding.CATEGORIES
    )


def drop_tables():
    with connections[BENCH_DB].schema_editor() as editor:
        for model in reversed(BENCH_MODELS):
            editor.delete_model(model)


# Filling both sides is plain work per row (fake values, sealing, blind indexes) and one
# INSERT per row: rows are built as database-ready tuples, in worker processes when there
# are enough of them, and written with executemany, so a million customers load in
# minutes instead of the ORM's half hour.
PARALLEL_FILL_FROM = 20_000
_fill_state = {}


def _columns(model):
    return [f.column for f in model._meta.concrete_fields]


def _insert_sql(model, connection):
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in _columns(model))
    marks = ", ".join(["%s"] * len(_columns(model)))
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608


_FILLED_CUSTOMER_COLUMNS = (
    "id",
    "sealed",
    "email_index",
    "phone_index",
    "name_index",
    "name_kana_index",
    "created_at",
    "updated_at",
)


# Customer's blind indexes, in the order of its columns.
INDEXED_KINDS = ("email", "phone", "name", "name_kana")


def _row_of(pk):
    """What ``EncryptedField.seal`` needs of a row: its primary key."""
    return SimpleNamespace(id=pk)


def _batch(bounds):
    """Database-ready rows for customers ``bounds`` (start, stop) on both sides."""
    start, stop = bounds
    categories, today, seed = _fill_state["categories"], _fill_state["today"], _fill_state["seed"]
    ops = connections[BENCH_DB].ops
    uuid_value = Customer._meta.pk.get_db_prep_value
    connection = connections[BENCH_DB]
    now = ops.adapt_datetimefield_value(timezone.now())
    sealed, product_field = (
        Customer._meta.get_field("sealed"),
        Purchase._meta.get_field("product_name"),
    )
    rng = random.Random(seed * 1_000_003 + start)  # noqa: S311 - demo data, not secrets
    rows = {"customer": [], "plain": [], "purchase": [], "plain_purchase": [], "samples": []}
    for number in range(start, stop):
        values = fake_customer_values(number, rng)
        pk = uuid.uuid4()
        db_pk = uuid_value(pk, connection)
        indexes = [blind_index(kind, values[kind]) for kind in INDEXED_KINDS]
        record = {name: values[name] for name in CUSTOMER_FIELDS}
        token = sealed.seal(record, _row_of(pk))
        # Columns this fill does not set (dates of later events) stay empty.
        known = dict(zip(_FILLED_CUSTOMER_COLUMNS, (db_pk, token, *indexes, now, now), strict=True))
        known["external_id"] = ""  # no platform id: typed in, not imported
        rows["customer"].append(tuple(known.get(c) for c in _columns(Customer)))
        keys = [normalise(kind, values[kind]) for kind in INDEXED_KINDS]
        plain = [values[f.attname] for f in PlainCustomer._meta.concrete_fields[1:12]]
        rows["plain"].append((db_pk, *plain, *keys, "", now, now, None, None))
        for category, product, amount, day in fake_purchases(number, rng, categories, today):
            purchase_pk = uuid.uuid4()
            db_purchase = uuid_value(purchase_pk, connection)
            token = product_field.seal(product, _row_of(purchase_pk))
            day = ops.adapt_datefield_value(day)
            rows["purchase"].append((db_purchase, db_pk, token, category.pk, amount, day, ""))
            rows["plain_purchase"].append((db_purchase, db_pk, product, category.pk, amount, day))
        if number < 3 or rng.random() < 0.01:
            rows["samples"].append((values["email"], values["phone"], pk))
    return rows


def _write(rows):
    connection = connections[BENCH_DB]
    tables = (
        (Customer, "customer"),
        (Purchase, "purchase"),
        (PlainCustomer, "plain"),
        (PlainPurchase, "plain_purchase"),
    )
    with transaction.atomic(using=BENCH_DB), connection.cursor() as cursor:
        for model, key in tables:
            if rows[key]:
                cursor.executemany(_insert_sql(model, connection), rows[key])


def fill(count, seed=2026):
    """Write ``count`` fake customers with purchases to both sides; return samples.

    On PostgreSQL the tables are then analysed, as autovacuum does within a minute of
    such a load: measuring before that would time whatever plan the planner picks
    without statistics (once a list page 2.6 times slower on one side), not the shop's."""
    _fill_state.update(
        categories=list(Category.objects.using(BENCH_DB).order_by("code")),
        today=date.today(),
        seed=seed,
    )
    parts = [(start, min(start + BATCH_SIZE, count)) for start in range(0, count, BATCH_SIZE)]
    samples = {"email": [], "phone": [], "pk": []}
    with _batches(parts, count) as built:
        for rows in built:
            _write(rows)
            for email, phone, pk in rows["samples"]:
                samples["email"].append(email)
                samples["phone"].append(phone)
                samples["pk"].append(pk)
    connection = connections[BENCH_DB]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return samples


@contextmanager
def _batches(parts, count):
    """The built batches, in order: from forked workers for large fills, else here."""
    if count < PARALLEL_FILL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        yield map(_batch, parts)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2, mp_context=context) as pool:
        yield pool.map(_batch, parts)


# --- what each side does -------------------------------------------------------------


def find_encrypted(kind):
    """Exact search through the blind index: one indexed query, decrypt the candidates."""
    index_field = f"{kind}_index"

    def find(term):
        wanted = normalise(kind, term)
        candidates = (
            Customer.objects.using(BENCH_DB)
            .filter(**{index_field: blind_index(kind, term)})
            .order_by()  # as the real search: one or two rows, nothing to sort
        )
        return [c for c in candidates if normalise(kind, getattr(c, kind)) == wanted]

    return find


def find_plain(kind):
    """Exact search on the normalised plaintext column: one indexed query."""
    key_field = f"{kind}_key"

    def find(term):
        wanted = normalise(kind, term)
        return list(PlainCustomer.objects.using(BENCH_DB).filter(**{key_field: wanted}).order_by())

    return find


ENCRYPTED = Side("encrypted", Customer, Purchase, find_encrypted("email"), find_encrypted("phone"))
PLAINTEXT = Side(
    "plaintext", PlainCustomer, PlainPurchase, find_plain("email"), find_plain("phone")
)

# Masking: the vault's own (customers.masking) when it is installed; until then a
# stand-in doing the same kind of string work. Either way both sides run the same code,
# so masking cannot favour either: what differs is only reading and decrypting.
_PREFECTURE = re.compile(r"^(.{2,3}?[都道府県])")


def _stand_in_name(value):
    return f"{value.split(' ', 1)[0]} **"


def _stand_in_email(value):
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


def _stand_in_phone(value):
    return f"***-****-{value[-4:]}" if value else ""


def _stand_in_address(value):
    match = _PREFECTURE.match(value)
    return f"{match.group(1)} …" if match else "…"


try:
    from customers import masking as _masking
except ImportError:  # the vault's masking is not merged yet
    _masking = None
MASKING = "customers.masking" if _masking else "a stand-in (customers.masking not installed)"
mask_name = getattr(_masking, "mask_name", _stand_in_name)
mask_email = getattr(_masking, "mask_email", _stand_in_email)
mask_phone = getattr(_masking, "mask_phone", _stand_in_phone)
mask_address = getattr(_masking, "mask_address", _stand_in_address)


LIST_TEMPLATE = Engine().from_string(
    "<table><tr><th>ID</th><th>氏名</th><th>メール</th><th>電話</th><th>住所</th><th>購入数</th>"
    "</tr>{% for r in rows %}<tr><td>{{ r.id }}</td><td>{{ r.name }}</td><td>{{ r.email }}</td>"
    "<td>{{ r.phone }}</td><td>{{ r.address }}</td><td>{{ r.purchases }}</td></tr>{% endfor %}"
    "</table>"
    "<p>{{ count }} 件表示</p>"
)
DETAIL_TEMPLATE = Engine().from_string(
    "<dl>{% for label, value in fields %}<dt>{{ label }}</dt><dd>{{ value }}</dd>{% endfor %}"
    "</dl><table>{% for p in purchases %}<tr><td>{{ p.0 }}</td><td>{{ p.1 }}</td>"
    "<td>{{ p.2 }}</td><td>{{ p.3 }}</td></tr>{% endfor %}</table>"
)


def masked_row(customer):
    return {
        "id": str(customer.pk)[:8],
        "purchases": customer.purchase_count,
        "name": mask_name(customer.name),
        "email": mask_email(customer.email),
        "phone": mask_phone(customer.phone),
        "address": mask_address(customer.address),
    }


def list_page(side, cursor):
    """The staff list page as the admin builds it: one page of masked rows, newest first,
    walked by keyset from the previous page's last row (customers.paging), each row with
    its purchase count (a correlated subquery, as CustomerAdmin.get_queryset); no count
    of the table."""
    purchases = side.purchases.objects.using(BENCH_DB).filter(customer=OuterRef("pk")).order_by()
    counted = purchases.values("customer").annotate(n=Count("pk")).values("n")
    query = side.customers.objects.using(BENCH_DB).annotate(
        purchase_count=Coalesce(Subquery(counted), 0)
    )
    rows = [masked_row(c) for c in page_of(query, cursor, PAGE_SIZE)[:PAGE_SIZE]]
    return LIST_TEMPLATE.render(Context({"rows": rows, "count": len(rows)}))


def detail_page(side, pk, category_names):
    """The detail page: one customer's fields masked and their purchases."""
    customer = side.customers.objects.using(BENCH_DB).get(pk=pk)
    fields = [
        ("氏名", mask_name(customer.name)),
        ("フリガナ", mask_name(customer.name_kana)),
        ("性別", customer.gender),
        ("郵便番号", f"{customer.postal_code[:3]}-****"),
        ("住所", mask_address(customer.address)),
        ("電話番号", mask_phone(customer.phone)),
        ("メール", mask_email(customer.email)),
        ("カード", f"{customer.card_brand} •••• {customer.card_last4}"),
        ("有効期限", customer.card_exp),
    ]
    purchases = [
        (p.purchased_on, category_names[p.category_id], p.product_name, p.amount)
        for p in side.purchases.objects.using(BENCH_DB).filter(customer_id=pk)
    ]
    return DETAIL_TEMPLATE.render(Context({"fields": fields, "purchases": purchases}))


def read_all(side, bounds=(None, None)):
    """Read every customer (between the pk bounds) with every personal field decrypted."""
    low, high = bounds
    query = side.customers.objects.using(BENCH_DB).order_by()
    if low is not None:
        query = query.filter(pk__gte=low)
    if high is not None:
        query = query.filter(pk__lt=high)
    total = 0
    for customer in query:
        for name in CUSTOMER_FIELDS:
            total += len(getattr(customer, name))
    return total


# --- timing --------------------------------------------------------------------------


def timed(work):
    """Wall time of one ``work()`` with the garbage collector paused (as timeit does)."""
    gc.disable()
    try:
        started = time.perf_counter()
        work()
        return time.perf_counter() - started
    finally:
        gc.enable()


def compare(name, parts, make_work, repeat, sides=None):
    """Time both sides part by part, alternately, and return a Figure.

    Each part (a chunk of rows, a batch of searches, a page) runs on the encrypted side
    and then on the plaintext side, ``repeat`` times after a warm-up; a side's time is
    the sum over parts of its best run. Alternating in small steps means both sides meet
    the same machine load, which matters on a shared two-core machine. ``sides`` (two,
    encrypted then plaintext unless given) are the Figure's first and second time.
    """
    sides = sides or (ENCRYPTED, PLAINTEXT)
    best = {}
    for side in sides:
        for part in parts:
            make_work(side, part)()  # warm the page cache and the templates
    for _ in range(repeat):
        gc.collect()
        for index, part in enumerate(parts):
            for side in sides:
                elapsed = timed(make_work(side, part))
                key = (side.label, index)
                best[key] = min(best.get(key, elapsed), elapsed)
    first, second = (sum(best[(side.label, i)] for i in range(len(parts))) for side in sides)
    return Figure(name, first, second)


def batches(items, size):
    return [items[i : i + size] for i in range(0, len(items), size)]


def pk_ranges(count, chunk=10_000):
    """(low, high) primary-key bounds splitting the customers into chunks for read_all."""
    pks = list(Customer.objects.using(BENCH_DB).order_by("pk").values_list("pk", flat=True))
    bounds = pks[::chunk]
    return [(low, bounds[i + 1] if i + 1 < len(bounds) else None) for i, low in enumerate(bounds)]


def run(count, repeat=3, out=print, scale_base=10_000):
    """Build both sides with ``count`` customers, measure, and return the figures.

    With more than ``scale_base`` customers, also compare the encrypted list page at
    ``count`` with the same page at ``scale_base`` customers (see ``list_page_scale``).
    """
    # 200 searches, 20 list pages and 50 detail pages per run smooth out noise; a small
    # test run uses fewer.
    lookups, pages = min(200, count), (min(20, count), min(50, count))
    # The throwaway database's rows write no ledger entries: audit.changes records the
    # configured database only. Every fake customer is read on purpose: a declared bulk
    # read (vault.reads).
    with throwaway_database() as path, bulk_read("bench"):
        out(f"Throwaway database: {path} (deleted afterwards; the configured one is untouched)")
        out(f"load average before: {load_average()}")
        create_tables()
        started = time.perf_counter()
        samples = fill(count)
        out(
            f"Wrote {count} customers and "
            f"{Purchase.objects.using(BENCH_DB).count()} purchases to each side in "
            f"{time.perf_counter() - started:.1f} s"
        )
        try:
            figures = measure(samples, count, repeat, lookups, pages, out)
            if count > scale_base:
                figures.append(list_page_scale(count, scale_base, repeat, pages[0], out))
            return figures
        finally:
            out(f"load average after: {load_average()}")
            drop_tables()


def load_average():
    """The 1, 5 and 15 minute load averages: figures from a busy machine read worse."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def random_pages(count, pages):
    """Cursors of ``pages`` random list pages: the row before each page's first (None for
    the first page), as the "older" link of the page before would name it."""
    rng = random.Random(11)  # noqa: S311 - choosing pages, not secrets
    numbers = [rng.randrange(max(1, count // PAGE_SIZE)) for _ in range(pages)]
    newest = Customer.objects.using(BENCH_DB).order_by("-created_at", "-id")
    positions = newest.values_list("created_at", "id")
    cursors = []
    for number in numbers:
        if number == 0:
            cursors.append(None)
        else:
            created_at, pk = positions[number * PAGE_SIZE - 1]
            cursors.append((OLDER, created_at, pk))
    return cursors


def measure(samples, count, repeat, lookups, pages, out):
    rng = random.Random(7)  # noqa: S311 - choosing sample rows, not secrets
    emails = [rng.choice(samples["email"]) for _ in range(lookups)]
    phones = [rng.choice(samples["phone"]) for _ in range(lookups)]
    list_pages, detail_pages = pages
    pks = [rng.choice(samples["pk"]) for _ in range(detail_pages)]
    page_numbers = random_pages(count, list_pages)
    category_names = dict(Category.objects.using(BENCH_DB).values_list("pk", "name_ja"))
    prove_indexed_search(samples, out)

    def searching(kind):
        def make(side, terms):
            find = side.find_email if kind == "email" else side.find_phone
            return lambda: [find(term) for term in terms]

        return make

    figures = [
        compare(
            "read_all",
            pk_ranges(count),
            lambda side, bounds: lambda: read_all(side, bounds),
            repeat,
        ),
        compare("search_email", batches(emails, 20), searching("email"), repeat),
        compare("search_phone", batches(phones, 20), searching("phone"), repeat),
        compare(
            "list_page",
            page_numbers,
            lambda side, number: lambda: list_page(side, number),
            repeat,
        ),
        compare(
            "detail_page",
            batches(pks, 5),
            lambda side, some: lambda: [detail_page(side, pk, category_names) for pk in some],
            repeat,
        ),
    ]
    per = {
        "read_all": count,
        "search_email": lookups,
        "search_phone": lookups,
        "list_page": list_pages,
        "detail_page": detail_pages,
    }
    out("Pages: list_page/detail_page measure the admin's path outside the admin: query,")
    out(f"  decryption, masking with {MASKING}, template rendering.")
    for figure in figures:
        unit = per[figure.name]
        out(
            f"{figure.name}: encrypted {figure.encrypted * 1e6 / unit:.1f} us, plaintext "
            f"{figure.plaintext * 1e6 / unit:.1f} us per item ({unit} items, best of {repeat})"
        )
    for figure in figures:
        out(f"ratio {figure.name} {figure.ratio:.2f}")
    return figures


def count_name(count):
    """1,000,000 as "1m", 10,000 as "10k" (for figure names)."""
    for size, suffix in ((1_000_000, "m"), (1_000, "k")):
        if count >= size and count % size == 0:
            return f"{count // size}{suffix}"
    return str(count)


def list_page_scale(count, base, repeat, pages, out):
    """The encrypted list page at ``count`` customers against ``base`` customers.

    A second throwaway database gets ``base`` customers; the bench connection is pointed
    at one database or the other before each page, so both are measured alternately in
    this run (same page size, as many random pages of each). Keyset paging on the
    newest-first index should keep the ratio near 1 however large the table.
    """
    large = connections[BENCH_DB]
    try:
        with throwaway_database():
            small = connections[BENCH_DB]
            try:
                create_tables()
                fill(base)
                sizes = {"small": (small, random_pages(base, pages))}
                connections[BENCH_DB] = large
                sizes["large"] = (large, random_pages(count, pages))
                figure = compare(
                    f"list_page_{count_name(count)}_vs_{count_name(base)}",
                    range(pages),
                    lambda side, index: _list_page_on(*sizes[side.label], index),
                    repeat,
                    sides=(SimpleNamespace(label="large"), SimpleNamespace(label="small")),
                )
            finally:
                connections[BENCH_DB] = small  # throwaway_database closes and removes it
    finally:
        connections[BENCH_DB] = large
    out(
        f"{figure.name}: encrypted list page {figure.encrypted * 1e3 / pages:.2f} ms at "
        f"{count} customers, {figure.plaintext * 1e3 / pages:.2f} ms at {base} "
        f"({pages} pages of {PAGE_SIZE}, best of {repeat})"
    )
    out(f"ratio {figure.name} {figure.ratio:.2f}")
    return figure


def _list_page_on(connection, cursors, index):
    def work():
        connections[BENCH_DB] = connection
        return list_page(ENCRYPTED, cursors[index])

    return work


def prove_indexed_search(samples, out):
    """Print the query plan and candidate count of a blind-index search (no decrypting scan)."""
    for kind in ("email", "phone"):
        term = samples[kind][0]
        query = (
            Customer.objects.using(BENCH_DB)
            .filter(**{f"{kind}_index": blind_index(kind, term)})
            .order_by()
        )
        plan = " ".join(query.explain().split())
        out(f"search_{kind} plan: {plan}; candidates: {query.count()}")
