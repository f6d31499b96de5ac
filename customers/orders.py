"""Import a platform's order CSV as purchases, all or nothing (issue #24).

Shopify's order export and EC-CUBE 4's order CSV have one row per line item; the order's
own columns (e-mail, dates, delivery address) are repeated or left empty on its later
rows, so they are carried forward within an order. Each line item becomes one Purchase
of the customer the order belongs to (Shopify: the e-mail, through its blind index;
EC-CUBE: 会員ID, kept as the customer's external id by the member import, then the
e-mail), in the category the owner chose for that product once (ProductCategory). A
line item already imported (Purchase.external_ref: platform, order, line) is not added
again, so importing the same file twice adds nothing.

Each order's delivery address is handed, once per order and after its purchases are
saved, to ``on_delivery`` (a Delivery), or else to every builder offered through
``offer_deliveries``: the shipping app offers its shipment builder there at start-up
(``shipping.orders``), since this app may not import it. The builder works inside the
import's transaction, so an order file adds its purchases and shipments together or not
at all.

Like the customer import: the file is streamed (batches of rows, never whole), checked
whole before anything is written, refused by line and column without echoing a value,
limited in size and rows, and recorded in the ledger (counts, the file's SHA-256, the
customers whose purchases it added) by an entry per ``ENTRY_CUSTOMERS`` lines written, all
with one import id, so memory stays flat in the number of lines.
"""

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from itertools import chain, islice
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from audit import changes
from customers import importing
from customers.importing import ImportRefused, Problem, Reason
from customers.models import Customer, ProductCategory, Purchase
from customers.platforms import normalise_header, read_presets
from customers.validators import CARD_NUMBER_MESSAGE, contains_card_number
from vault.blind_index import blind_index, normalise
from vault.reads import bulk_read

PRESETS_DIR = Path(__file__).resolve().parent / "presets" / "orders"
PRESET_LABELS = (
    gettext_noop("Shopify 注文エクスポート (CSV)"),
    gettext_noop("EC-CUBE 4 受注 CSV"),
)
# Order-level keys carried forward from an order's first row to its later ones.
ORDER_KEYS = ("email", "member_id", "status", "paid_at", "ordered_at")
SHIP_PREFIX = "ship_"


@dataclass(frozen=True)
class OrderLayout:
    name: str
    label: str
    columns: dict  # normalised header -> key
    id_prefix: str
    customer_by: str  # "email" or "member_id"
    required: tuple
    not_purchased: frozenset  # statuses whose lines are not purchases (refunded...)

    def key(self, header):
        return self.columns.get(normalise_header(header))

    def missing(self, keys):
        return [
            group
            for group in self.required
            if not any(self.columns.get(normalise_header(h)) in keys for h in group)
        ]


@cache
def order_layouts():
    """{format name: OrderLayout} for every order preset in customers/presets/orders/."""
    return read_presets(
        PRESETS_DIR,
        lambda name, data, columns: OrderLayout(
            name=name,
            label=data["label"],
            columns=columns,
            id_prefix=data["id_prefix"],
            customer_by=data["customer_by"],
            required=tuple(tuple(group) for group in data["required"]),
            not_purchased=frozenset(s.lower() for s in data.get("not_purchased", ())),
        ),
    )


ORDER_FORMATS = tuple(order_layouts())


# The builders offered by apps above this one (``offer_deliveries``), each called as
# ``builder(delivery, actor=..., request=...)`` for every order an import reads.
_delivery_builders: list[Callable[..., None]] = []


def offer_deliveries(builder: Callable[..., None]) -> None:
    """Hand every imported order's Delivery to ``builder`` (an app's ``ready()``)."""
    if builder not in _delivery_builders:
        _delivery_builders.append(builder)


def _builders(actor, request):
    builders = list(_delivery_builders)
    if not builders:
        return None
    return lambda delivery: [b(delivery, actor=actor, request=request) for b in builders]


@dataclass(frozen=True)
class Delivery:
    """Where one order goes: what a shipment builder needs (issue #23)."""

    order_ref: str  # "shopify:#1001"
    customer_id: UUID
    name: str
    postal_code: str
    prefecture: str
    address: str
    phone: str


@dataclass
class OrderResult:
    purchases: int = 0  # purchases added (line items imported before are not added again)
    orders: int = 0
    digest: str = ""
    encoding: str = ""


@dataclass
class _Line:
    line: int
    values: dict
    headers: dict
    position: int  # the line's place in its order (1, 2, ...)
    card_columns: list = field(default_factory=list)

    @property
    def order_ref(self):
        return self.values.get("order") or self.values.get("order_id", "")


def _lines(reader, keys, header):
    """Yield a _Line per row, order-level values carried forward within an order."""
    current, carried, position = None, {}, 0
    for line, cells in importing._records(reader):
        values, headers, cards = {}, {}, []
        for index, cell in enumerate(cells):
            key = keys[index] if index < len(keys) else None
            title = header[index].strip() if index < len(header) else f"#{index + 1}"
            if contains_card_number(cell):
                cards.append(title)
            if key and not values.get(key):
                values[key], headers[key] = cell.strip().removeprefix("'"), title
        order = values.get("order") or values.get("order_id", "")
        if order != current:
            current, carried, position = order, {}, 0
        for key in (*ORDER_KEYS, *(k for k in values if k.startswith(SHIP_PREFIX))):
            if values.get(key):
                carried[key] = values[key]
        position += 1
        merged = {**values, **{k: v for k, v in carried.items() if not values.get(k)}}
        yield _Line(line, merged, headers, position, cards)


def _amount(line):
    """Price × quantity in whole yen, or None when either is not a number."""
    try:
        quantity = int(line.values.get("item_quantity", ""))
        price = Decimal(line.values.get("item_price", "").replace(",", ""))
    except (ValueError, InvalidOperation):
        return None
    if quantity < 1 or price < 0:
        return None
    return int(price * quantity)


def _day(line):
    """The purchase's date: paid, else ordered ("2026-11-02 14:05:00 +0900"), or None."""
    text = line.values.get("paid_at") or line.values.get("ordered_at", "")
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        try:
            return datetime.strptime(text[:10], "%Y/%m/%d").date()
        except ValueError:
            return None


class _Customers:
    """The customers a batch of lines belongs to, found by member id or e-mail."""

    def __init__(self, lines, layout):
        self.layout = layout
        ids = {
            f"{layout.id_prefix}:{x.values['member_id']}"
            for x in lines
            if x.values.get("member_id")
        }
        self.by_id = {c.external_id: c for c in Customer.objects.filter(external_id__in=ids)}
        indexes = {blind_index("email", x.values["email"]) for x in lines if x.values.get("email")}
        self.by_email = {}
        for customer in Customer.objects.filter(email_index__in=indexes):
            # The index is 32 bits: compare the decrypted e-mail to drop a false match.
            self.by_email.setdefault(normalise("email", customer.email), []).append(customer)

    def of(self, line):
        member = line.values.get("member_id")
        if member and (found := self.by_id.get(f"{self.layout.id_prefix}:{member}")):
            return found
        matches = self.by_email.get(normalise("email", line.values.get("email", "")), [])
        return matches[0] if len(matches) == 1 else None


@dataclass(frozen=True)
class Uncategorised(Problem):
    """A line whose product has no category yet; ``product`` names it for the summary
    (the line's own message does not, like every refusal)."""

    product: str = ""


def _problems(line, customer, category, amount, day):
    found = [Problem(line.line, column, str(CARD_NUMBER_MESSAGE)) for column in line.card_columns]

    def add(key, message):
        found.append(Problem(line.line, line.headers.get(key, key), message))

    if not line.order_ref:
        add("order", _("注文番号がありません。"))
    if customer is None:
        add(
            "email" if "email" in line.headers else "member_id",
            _("この注文の顧客が見つかりません。先に顧客をインポートしてください。"),
        )
    if not line.values.get("item_name"):
        add("item_name", _("商品名がありません。"))
    elif category is None:
        message = _("この商品のカテゴリが決まっていません（「商品のカテゴリ」で選んでください）。")
        column = line.headers.get("item_name", "item_name")
        found.append(Uncategorised(line.line, column, message, line.values["item_name"]))
    if amount is None:
        add("item_quantity", _("数量と単価は 0 以上の数で指定してください（数量は 1 以上）。"))
    if day is None:
        add("paid_at", _("日付が読めません（2026-11-02 の形式）。"))
    return found


def _plans(source, encoding, layout):
    """Yield (purchase or None, delivery or None, problems) per line, in batches."""
    reader = importing._reader(source, encoding)
    keys, header = _header(reader, layout)
    categories = dict(ProductCategory.objects.values_list("product_name", "category_id"))
    lines = _lines(reader, keys, header)
    while batch := list(islice(lines, importing.BATCH_ROWS)):
        customers = _Customers(batch, layout)
        refs = {_ref(layout, line) for line in batch}
        done = set(
            Purchase.objects.filter(external_ref__in=refs).values_list("external_ref", flat=True)
        )
        for line in batch:
            yield _plan(line, layout, customers, categories, done)


def _ref(layout, line):
    return f"{layout.id_prefix}:{line.order_ref}:{line.position}"


def _plan(line, layout, customers, categories, done):
    customer, amount, day = customers.of(line), _amount(line), _day(line)
    category = categories.get(line.values.get("item_name", ""))
    problems = _problems(line, customer, category, amount, day)
    status = line.values.get("status", "").lower()
    if problems or status in layout.not_purchased:
        return None, None, problems
    ref = _ref(layout, line)
    purchase = None
    if ref not in done:
        purchase = Purchase(
            customer=customer,
            category_id=category,
            product_name=line.values["item_name"],
            amount=amount,
            purchased_on=day,
            external_ref=ref,
        )
    delivery = _delivery(line, layout, customer) if line.position == 1 else None
    return purchase, delivery, problems


def _delivery(line, layout, customer):
    v = line.values
    name = v.get("ship_name") or " ".join(
        x for x in (v.get("ship_last_name"), v.get("ship_first_name")) if x
    )
    street = " ".join(
        x for x in (v.get("ship_city"), v.get("ship_address1"), v.get("ship_address2")) if x
    )
    return Delivery(
        order_ref=f"{layout.id_prefix}:{line.order_ref}",
        customer_id=customer.pk,
        name=name,
        postal_code=v.get("ship_zip", ""),
        # Shopify writes the prefecture's code (JP-13), EC-CUBE its name (東京都).
        prefecture=importing.prefecture_name(v.get("ship_province", "")),
        address=street,
        phone=v.get("ship_phone", ""),
    )


def _header(reader, layout):
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise importing._file_refused(Reason.NOT_CSV, _("見出し行がありません。")) from None
    keys = [layout.key(h) for h in header]
    problems = [
        Problem(1, group[-1], importing.missing_column_message(group))
        for group in layout.missing(keys)
    ]
    if problems:
        raise ImportRefused(problems, reason=Reason.HEADER)
    return keys, header


def _check(source, encoding, layout):
    shown, total, uncategorised = [], 0, set()
    for _purchase, _delivery, problems in _plans(source, encoding, layout):
        total += len(problems)
        shown.extend(problems[: importing.MAX_PROBLEMS_SHOWN - len(shown)])
        uncategorised.update(p.product for p in problems if isinstance(p, Uncategorised))
    if total:
        refused = ImportRefused(shown, reason=Reason.ROWS, total=total)
        refused.uncategorised = sorted(uncategorised)
        raise refused


def _write(source, encoding, layout, result, on_delivery, entries):
    """Save every line's purchase, recorded by an entry per ENTRY_CUSTOMERS lines (as
    the customer import's parts are, see customers.importing.ImportEntries)."""
    lines, pending = _plans(source, encoding, layout), None
    while True:
        with changes.recorded_by_caller(naming=False):
            part = islice(lines, importing.ENTRY_CUSTOMERS)
            customers, pending = _write_part(part, result, on_delivery, pending)
            following = next(lines, None)
            if following is None:
                _deliver(pending, on_delivery)
                totals = {"purchases": result.purchases, "orders": result.orders}
                entries.record(sorted(customers), totals)
                return
            entries.record(sorted(customers))
        lines = chain([following], lines)


def _write_part(lines, result, on_delivery, pending):
    """Save one part's purchases; return (their customers, the order not yet delivered)."""
    customers = set()
    for purchase, delivery, problems in lines:
        if problems:
            raise ImportRefused(problems, reason=Reason.ROWS)
        if delivery is not None:
            result.orders += 1
            # An order's rows are together: the one before is complete, purchases saved.
            _deliver(pending, on_delivery)
            pending = delivery
        if purchase is None:
            continue
        purchase.save()
        result.purchases += 1
        customers.add(str(purchase.customer_id))
    return customers, pending


def _deliver(delivery, on_delivery):
    if delivery is not None and on_delivery is not None:
        on_delivery(delivery)


def import_orders(
    data,
    file_format,
    *,
    request=None,
    actor=None,
    on_delivery: Callable[[Delivery], None] | None = None,
):
    """Import ``data`` (a platform's order CSV) as purchases, all or nothing.

    Returns an OrderResult or raises ImportRefused (recorded, like a customer file's).
    Each order's Delivery goes to ``on_delivery``, or to the builders offered through
    ``offer_deliveries`` (the shipping app's shipments) when it is not given.
    """
    if on_delivery is None:
        on_delivery = _builders(actor, request)
    layout = order_layouts()[file_format]
    source = importing._as_file(data)
    detail = {"format": file_format}
    try:
        found = importing.scan(source)
        detail.update(sha256=found.digest, bytes=found.size)
        if found.size > importing.MAX_FILE_BYTES:
            raise importing._file_refused(Reason.TOO_LARGE, importing.too_large_message())
        if found.encoding is None:
            raise importing._file_refused(Reason.ENCODING, importing.encoding_message())
        detail["encoding"] = found.encoding
        detail["rows"] = _count(source, found.encoding, layout)
        with bulk_read("import_match"):
            _check(source, found.encoding, layout)
        result = OrderResult(digest=found.digest, encoding=found.encoding)
        entries = importing.ImportEntries(detail, request, actor)
        with transaction.atomic(), bulk_read("import_match"):
            _write(source, found.encoding, layout, result, on_delivery, entries)
    except ImportRefused as refused:
        importing._record_refusal(refused, detail, request=request, actor=actor)
        raise
    return result


def _count(source, encoding, layout):
    reader = importing._reader(source, encoding)
    _header(reader, layout)
    limit, rows = settings.SHOPGUARD_IMPORT_MAX_ROWS, 0
    for _line in importing._records(reader):
        rows += 1
        if rows > limit:
            message = importing.too_many_rows_message(limit)
            raise importing._file_refused(Reason.TOO_MANY_ROWS, message)
    return rows
