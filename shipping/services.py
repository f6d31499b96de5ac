"""The daily label work: the owner's routine, shipments, one-time carrier files and the
tracking numbers that come back.

Within an active routine (``LabelRoutine``), anyone who may make label files makes one
for unshipped shipments without a second check, up to the routine's daily cap, counted
under a lock on the routine's row. Past the cap, or for any field the layout does not
carry, the ordinary two-person export applies. A file is made only when every shipment
fits the layout (problems are listed by field first), downloaded once by the person who
made it within 24 hours, and named in the ledger with its customers, hash, count,
carrier and routine. Carrier delivery is entrustment (委託, APPI art. 27(5)(i)): no
third-party provision record is kept.
"""

import csv
import hashlib
import io
import uuid
from collections.abc import Iterable, Iterator
from datetime import date
from typing import BinaryIO, NamedTuple, NoReturn

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import Action, Outcome
from audit.ledger import record
from customers import reading
from customers.models import Category, Customer, Purchase
from policy.models import Outsourcee
from shipping import labels
from shipping.carriers import LAYOUTS, Layout
from shipping.models import LabelFile, LabelRoutine, Shipment

APPROVE_ROUTINES = "shipping.approve_labelroutine"
MAKE_LABEL_FILES = "shipping.add_labelfile"
# The 品名 of a sensitive category unless the owner sets another: nothing on the box
# says what is inside.
NEUTRAL_DESCRIPTION = "日用品"
# Shipments read per query while a file is written: memory stays flat (bounded by it).
CHUNK = 500
# What a label needs of the customer, when the box goes to the address on file.
RECIPIENT_FIELDS = ["name", "postal_code", "address", "phone"]
State = Shipment.State


class LabelRefused(Exception):
    """A label step was refused (and recorded); ``message`` says why, ``problems`` lists
    the shipments that do not fit, by field."""

    def __init__(self, message: str, problems: list[labels.Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []


def _refuse(
    action: Action,
    user: User,
    reason: str,
    message: str,
    *,
    target: object = None,
    problems: list[labels.Problem] | None = None,
    request: HttpRequest | None = None,
) -> NoReturn:
    detail: dict[str, object] = {"reason": reason}
    if problems:
        detail["problems"] = len(problems)
    record(
        action,
        request=request,
        actor=user,
        outcome=Outcome.REFUSED,
        target=target if target is not None else ("shipping.labelfile", ""),
        detail=detail,
    )
    raise LabelRefused(message, problems)


# Routines ------------------------------------------------------------------------------


def default_descriptions() -> dict[str, str]:
    """{category code: 品名}: the neutral word for sensitive categories, the category's
    own name for the others."""
    return {
        c.code: NEUTRAL_DESCRIPTION if c.sensitive else c.name_ja for c in Category.objects.all()
    }


def approve_routine(
    owner: User,
    *,
    carrier: str,
    daily_cap: int,
    descriptions: dict[str, str],
    sender_name: str,
    sender_postal_code: str,
    sender_address: str,
    sender_phone: str,
    request: HttpRequest | None = None,
) -> LabelRoutine:
    """The owner approves the label routine for ``carrier`` (replacing its previous one):
    the fields its layout carries, the 品名 per category and the daily cap."""
    if not owner.has_perm(APPROVE_ROUTINES):
        _refuse(
            Action.LABEL_ROUTINE_APPROVE,
            owner,
            "not_owner",
            _("ラベル作成の定型業務を承認できるのはオーナーだけです。"),
            request=request,
        )
    layout = LAYOUTS[carrier]
    wanted = {**default_descriptions(), **{k: v for k, v in descriptions.items() if v.strip()}}
    with transaction.atomic():
        LabelRoutine.objects.filter(carrier=carrier, active=True).update(active=False)
        routine = LabelRoutine.objects.create(
            carrier=carrier,
            outsourcee=register_entry(layout),
            daily_cap=daily_cap,
            descriptions=wanted,
            sender_name=sender_name,
            sender_postal_code=sender_postal_code,
            sender_address=sender_address,
            sender_phone=sender_phone,
            approved_by=owner,
        )
        record(
            Action.LABEL_ROUTINE_APPROVE,
            request=request,
            actor=owner,
            target=routine,
            detail={
                "carrier": carrier,
                "daily_cap": daily_cap,
                "fields": sorted(str(s) for s in layout.sources),
            },
        )
    return routine


def end_routine(owner: User, routine: LabelRoutine, *, request: HttpRequest | None = None) -> None:
    """The owner ends a routine: no more files are made under it."""
    if not owner.has_perm(APPROVE_ROUTINES):
        _refuse(Action.LABEL_ROUTINE_END, owner, "not_owner", _("オーナーだけが終了できます。"))
    with transaction.atomic():
        routine.active = False
        routine.save(update_fields=["active"])
        record(Action.LABEL_ROUTINE_END, request=request, actor=owner, target=routine)
        # The carrier's last routine ended: the register (and so the policy) no longer
        # lists it as in use, as the policy listed only active routines' carriers before.
        entry = routine.outsourcee
        if entry is not None and not entry.label_routines.filter(active=True).exists():
            entry.in_use = False
            entry.save(update_fields=["in_use", "updated_at"])


# What a label file gives the carrier (the recipient's name, address and phone).
CARRIER_DATA_ITEMS = [
    Outsourcee.DataItem.NAME,
    Outsourcee.DataItem.ADDRESS,
    Outsourcee.DataItem.PHONE,
]


def register_entry(layout: Layout) -> Outsourcee:
    """The carrier's entry in the outsourcee register, which a label routine names: the
    one the owner keeps for its layout, or a new one (entrusted, stored in Japan, terms
    not yet checked) that the register page then asks the owner to check."""
    entry = Outsourcee.objects.filter(carrier_code=layout.code).order_by("-in_use", "pk").first()
    if entry is None:
        return Outsourcee.objects.create(
            name_ja=layout.company_ja,
            name_en=layout.company_en,
            service=Outsourcee.Service.CARRIER,
            work_ja="商品の配送",
            work_en="delivering orders",
            data_items=list(CARRIER_DATA_ITEMS),
            basis=Outsourcee.Basis.ENTRUSTMENT,
            country="JP",
            carrier_code=layout.code,
        )
    if not entry.in_use:
        entry.in_use = True
        entry.save(update_fields=["in_use", "updated_at"])
    return entry


def active_routines() -> QuerySet[LabelRoutine]:
    return LabelRoutine.objects.filter(active=True)


def made_today(routine: LabelRoutine) -> int:
    """How many shipments went into this routine's files today (Japan time), expired
    files left out: what counts against the daily cap."""
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    files = routine.files.filter(made_at__gte=start).exclude(status=LabelFile.Status.EXPIRED)
    return files.aggregate(total=Sum("shipment_count"))["total"] or 0


class LabelWork(NamedTuple):
    """Today's label work, for the home page (counts only)."""

    waiting: int  # shipments not yet in a file
    files_today: int
    shipments_today: int


def label_work_today() -> LabelWork:
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    files = LabelFile.objects.filter(made_at__gte=start).exclude(status=LabelFile.Status.EXPIRED)
    return LabelWork(
        waiting=Shipment.objects.filter(state=State.UNSHIPPED).count(),
        files_today=files.count(),
        shipments_today=files.aggregate(total=Sum("shipment_count"))["total"] or 0,
    )


# Shipments ---------------------------------------------------------------------------


def add_shipment(
    user: User | None,
    customer: Customer,
    purchases: Iterable[Purchase] = (),
    *,
    recipient: labels.Recipient | None = None,
    request: HttpRequest | None = None,
) -> Shipment:
    """A shipment of ``purchases`` to ``customer``'s address on file, or to ``recipient``
    (a gift), sealed."""
    with transaction.atomic():
        shipment = Shipment(customer=customer, to_address_on_file=recipient is None)
        if recipient is not None:
            shipment.recipient_name = recipient.name
            shipment.recipient_postal_code = recipient.postal_code
            shipment.recipient_address = recipient.address
            shipment.recipient_phone = recipient.phone
        shipment.full_clean(exclude=["customer", "label_file", "purchases"])
        shipment.save()
        shipment.purchases.set([p for p in purchases if p.customer_id == customer.pk])
        record(
            Action.SHIPMENT_ADD,
            request=request,
            actor=user,
            target=shipment,
            customers=[customer.pk],
            detail={"gift": recipient is not None},
        )
    return shipment


# A gift's recipient: the shipment's sealed fields, in the label's order.
GIFT_FIELDS = ["recipient_name", "recipient_postal_code", "recipient_address", "recipient_phone"]


def unshipped_purchases(user: User, customer: Customer) -> QuerySet[Purchase]:
    """``customer``'s purchases that ``user`` may see and no shipment holds yet, oldest
    first: what a new shipment of theirs may carry."""
    through = Shipment.purchases.through.objects.values("purchase_id")
    visible: QuerySet[Purchase] = Purchase.objects.visible_to(user)
    return visible.filter(customer=customer).exclude(pk__in=through).order_by("purchased_on", "id")


def may_change_gift(shipment: Shipment) -> bool:
    """A gift's recipient may change while the shipment waits: once it is in a label file
    the file says where the box goes."""
    return not shipment.to_address_on_file and shipment.state == State.UNSHIPPED


def change_gift(
    user: User,
    shipment: Shipment,
    changed: Iterable[str],
    *,
    request: HttpRequest | None = None,
) -> None:
    """Save the recipient fields ``changed`` of a waiting gift (already set on
    ``shipment``), recorded as its own action naming the customer and the fields, never
    their values (recorded even when none changed, like a customer's save: the kept
    values were read to check them). Refused (and recorded) once the shipment is in a
    label file."""
    fields = sorted(f for f in changed if f in GIFT_FIELDS)
    if not may_change_gift(shipment):
        _refuse(
            Action.SHIPMENT_GIFT_CHANGE,
            user,
            "not_waiting",
            _("ラベルファイルに入った出荷のお届け先は変えられません。"),
            target=shipment,
            request=request,
        )
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().filter(pk=shipment.pk, state=State.UNSHIPPED)
        if not locked.exists():
            raise LabelRefused(_("ラベルファイルに入った出荷のお届け先は変えられません。"))
        shipment.full_clean(exclude=["customer", "label_file", "purchases"])
        if fields:
            shipment.save(update_fields=fields)
        record(
            Action.SHIPMENT_GIFT_CHANGE,
            request=request,
            actor=user,
            target=shipment,
            customers=[shipment.customer_id],
            detail={"fields": fields, "gift": True},
        )


def add_shipments_for(
    user: User, customers: list[Customer], *, request: HttpRequest | None = None
) -> int:
    """One shipment to the address on file for each of ``customers``, holding their
    purchases not yet in any shipment; one ledger entry names them all. Returns how many."""
    through = Shipment.purchases.through
    shipped = set(through.objects.values_list("purchase_id", flat=True))
    with transaction.atomic():
        made = [Shipment(customer=c) for c in customers]
        Shipment.objects.bulk_create(made)
        links = [
            through(shipment_id=s.pk, purchase_id=pk)
            for s in made
            for pk in Purchase.objects.filter(customer_id=s.customer_id)
            .exclude(pk__in=shipped)
            .values_list("pk", flat=True)
        ]
        through.objects.bulk_create(links)
        record(
            Action.SHIPMENT_ADD,
            request=request,
            actor=user,
            target=("shipping.shipment", ""),
            customers=[c.pk for c in customers],
            detail={"shipments": len(made), "purchases": len(links)},
        )
    return len(made)


# A shipment's values that say who received it and where: gone when its customer is
# anonymised (``forget_shipments``).
PERSONAL_SHIPMENT_FIELDS = [
    "recipient_name",
    "recipient_postal_code",
    "recipient_address",
    "recipient_phone",
    "tracking_number",
]


def forget_shipments(customer: Customer) -> None:
    """What anonymising ``customer`` does to their shipments (offered to
    ``Customer.anonymise`` from shipping's AppConfig.ready): a box that has not gone out
    is dropped (there is no address to send it to any more); one that went out keeps its
    reference, state, dates and purchases, without its gift recipient and tracking number
    (a tracking number leads to the delivery address at the carrier)."""
    Shipment.objects.filter(customer=customer).exclude(state=State.SHIPPED).delete()
    for shipment in Shipment.objects.filter(customer=customer):
        for name in PERSONAL_SHIPMENT_FIELDS:
            setattr(shipment, name, "")
        shipment.save(update_fields=PERSONAL_SHIPMENT_FIELDS)


def recipient_of(shipment: Shipment) -> labels.Recipient:
    """Where the box goes (read inside the caller's read scope)."""
    if shipment.to_address_on_file:
        customer = shipment.customer
        return labels.Recipient(
            customer.name, customer.postal_code, customer.address, customer.phone
        )
    return labels.Recipient(
        shipment.recipient_name,
        shipment.recipient_postal_code,
        shipment.recipient_address,
        shipment.recipient_phone,
    )


def sender_of(routine: LabelRoutine) -> labels.Sender:
    return labels.Sender(
        routine.sender_name,
        routine.sender_postal_code,
        routine.sender_address,
        routine.sender_phone,
    )


class Categories(NamedTuple):
    """Each category's sensitivity, read once per file."""

    sensitive: dict[int, bool]
    code: dict[int, str]


def categories(using: str | None = None) -> Categories:
    found = list(Category.objects.using(using).values_list("pk", "code", "sensitive"))
    return Categories({pk: s for pk, _c, s in found}, {pk: c for pk, c, _s in found})


def item_of(category_ids: list[int], routine: LabelRoutine, known: Categories) -> str:
    """The 品名 of a shipment whose purchases are in ``category_ids``: the routine's
    description of their category (a sensitive one first), never a product's name."""
    if not category_ids:
        return NEUTRAL_DESCRIPTION
    chosen = next((i for i in category_ids if known.sensitive.get(i)), category_ids[0])
    code = known.code.get(chosen, "")
    default = NEUTRAL_DESCRIPTION if known.sensitive.get(chosen, True) else code
    return str(routine.descriptions.get(code) or default)


class Waiting(NamedTuple):
    """One shipment of a file, as the label needs it."""

    reference: str
    recipient: labels.Recipient
    category_ids: list[int]


def _shipments(chosen: QuerySet[Shipment]) -> Iterator[Waiting]:
    """The ``chosen`` shipments in their order, with where each goes and its purchases'
    categories: one query for them all, read as it goes, and the customers' addresses
    on file a chunk at a time (memory flat). ``chosen`` names the shipments by a key the
    database holds (a label file, or a short list of ids), so no list of every id is
    sent with each query."""
    # Each shipment with its purchases' categories: a row per purchase (one row with no
    # category when it has none), a shipment's rows together and its purchases oldest
    # first. Keyed by the shipment's number (unique): no ids to convert back.
    found = (
        chosen.order_by("created_at", "id", "purchases__purchased_on", "purchases__pk")
        .values_list("reference", "customer_id", "to_address_on_file", "purchases__category_id")
        .iterator(chunk_size=CHUNK)
    )
    rows: list[tuple[str, uuid.UUID, bool]] = []
    categories: dict[str, list[int]] = {}
    for reference, customer_id, own, category_id in found:
        if not rows or rows[-1][0] != reference:
            if len(rows) == CHUNK:
                yield from _waiting(chosen, rows, categories)
                rows, categories = [], {}
            rows.append((reference, customer_id, own))
            categories[reference] = []
        if category_id is not None:
            categories[reference].append(category_id)
    yield from _waiting(chosen, rows, categories)


def _waiting(
    chosen: QuerySet[Shipment],
    rows: list[tuple[str, uuid.UUID, bool]],
    categories: dict[str, list[int]],
) -> Iterator[Waiting]:
    """A chunk of shipments with their recipients: the customers' addresses on file read
    together, a gift's sealed recipient from its shipment."""
    on_file = list(dict.fromkeys(c for _ref, c, own in rows if own))
    values = reading.customer_values(RECIPIENT_FIELDS, on_file, using=chosen.db)
    gift_refs = [reference for reference, _c, own in rows if not own]
    gifts = (
        {s.reference: recipient_of(s) for s in chosen.filter(reference__in=gift_refs)}
        if gift_refs
        else {}
    )
    Recipient = labels.Recipient
    for reference, customer_id, own in rows:
        recipient = Recipient(*values[customer_id]) if own else gifts[reference]
        yield Waiting(reference, recipient, categories[reference])


def _rows(
    layout: Layout, routine: LabelRoutine, chosen: QuerySet[Shipment]
) -> Iterator[tuple[Waiting, dict[labels.Source, str]]]:
    """Each shipment with the values that differ by row (``labels.shipment_values``)."""
    known = categories(chosen.db)
    for waiting in _shipments(chosen):
        item = item_of(waiting.category_ids, routine, known)
        yield waiting, labels.shipment_values(layout, waiting.reference, waiting.recipient, item)


def problems_for(routine: LabelRoutine, ids: list[str]) -> list[labels.Problem]:
    """Every reason, by shipment and field, why these shipments cannot go into a file of
    the routine's carrier (empty: they all fit). Values are checked, never shown."""
    layout = LAYOUTS[routine.carrier]
    found = labels.sender_problems(layout, sender_of(routine))
    same = labels.file_values(sender_of(routine), timezone.localdate())
    with reading.label_check():
        for waiting, values in _rows(layout, routine, Shipment.objects.filter(pk__in=ids)):
            found += labels.problems_of(
                layout, waiting.reference, waiting.recipient, {**same, **values}
            )
    return found


# Files -------------------------------------------------------------------------------


def make_label_file(
    user: User,
    routine: LabelRoutine,
    shipment_ids: Iterable[object],
    *,
    request: HttpRequest | None = None,
) -> LabelFile:
    """A one-time file of ``shipment_ids`` under ``routine``; refused (and recorded) past
    the daily cap, for a shipment that is not waiting, or when any shipment does not fit
    the layout (every problem listed, no file made)."""
    ids = list(dict.fromkeys(str(pk) for pk in shipment_ids))
    problem: tuple[str, str] | None = None
    problems: list[labels.Problem] = []
    with transaction.atomic():
        locked = LabelRoutine.objects.select_for_update().get(pk=routine.pk)
        problem = _make_problem(user, locked, ids)
        if problem is None:
            problems = problems_for(locked, ids)
        if problem is None and not problems:
            return _make(user, locked, ids, request)
    if problems:
        problem = ("does_not_fit", _("直すところがあります。ファイルは作っていません。"))
    assert problem is not None
    _refuse(
        Action.LABEL_MAKE,
        user,
        problem[0],
        problem[1],
        target=routine,
        problems=problems,
        request=request,
    )


def _make_problem(user: User, routine: LabelRoutine, ids: list[str]) -> tuple[str, str] | None:
    if not user.has_perm(MAKE_LABEL_FILES):
        return ("not_allowed", _("ラベルファイルを作る権限がありません。"))
    if not routine.active:
        return ("no_routine", _("この定型業務は終了しています。オーナーの承認が必要です。"))
    if not ids:
        return ("empty", _("出荷を1件以上選んでください。"))
    waiting = Shipment.objects.select_for_update().filter(pk__in=ids, state=State.UNSHIPPED)
    if waiting.count() != len(ids):
        return ("not_waiting", _("未発送ではない出荷が含まれています。一覧を開き直してください。"))
    layout = LAYOUTS[routine.carrier]
    if layout.max_rows is not None and len(ids) > layout.max_rows:
        return (
            "too_many_rows",
            _("%(carrier)sのファイルは1つ%(rows)s件までです。")
            % {"carrier": layout.name, "rows": layout.max_rows},
        )
    if made_today(routine) + len(ids) > routine.daily_cap:
        return (
            "over_cap",
            _(
                "今日の上限（%(cap)s件）を超えます。上限を超える分は、ふつうのエクスポート申請"
                "（別の人の承認が必要）で持ち出してください。"
            )
            % {"cap": routine.daily_cap},
        )
    return None


def _make(
    user: User, routine: LabelRoutine, ids: list[str], request: HttpRequest | None
) -> LabelFile:
    label_file = LabelFile.objects.create(
        routine=routine, carrier=routine.carrier, made_by=user, shipment_count=len(ids)
    )
    Shipment.objects.filter(pk__in=ids).update(state=State.LABELLED, label_file=label_file)
    record(
        Action.LABEL_MAKE,
        request=request,
        actor=user,
        target=label_file,
        detail=_facts(label_file),
    )
    return label_file


def download_problem(label_file: LabelFile, user: User) -> tuple[str, str] | None:
    if label_file.made_by_id != user.pk:
        return ("not_maker", _("ダウンロードできるのは作った本人だけです。"))
    if label_file.status == LabelFile.Status.DOWNLOADED:
        return ("downloaded", _("このファイルはすでにダウンロードされています。"))
    if label_file.status == LabelFile.Status.EXPIRED or label_file.is_due_to_expire():
        return ("expired", _("作成から24時間が過ぎたため期限切れです。もう一度作ってください。"))
    return None


def download_label_file(
    label_file: LabelFile, user: User, fileobj: BinaryIO, *, request: HttpRequest | None = None
) -> LabelFile:
    """Write the file (Shift_JIS CSV) to ``fileobj`` once, for the person who made it;
    its entry names every customer on it, with the file's hash."""
    with transaction.atomic():
        locked = LabelFile.objects.select_for_update().get(pk=label_file.pk)
        problem = download_problem(locked, user)
        if problem is None:
            return _write(locked, user, fileobj, request)
    if problem[0] == "expired":
        expire_due(request=request)
    _refuse(Action.LABEL_DOWNLOAD, user, problem[0], problem[1], target=label_file)


def _write(
    label_file: LabelFile, user: User, fileobj: BinaryIO, request: HttpRequest | None
) -> LabelFile:
    layout = LAYOUTS[label_file.carrier]
    shipments = label_file.shipments.all()
    customers = list(dict.fromkeys(str(c) for c in shipments.values_list("customer_id", flat=True)))
    digest = hashlib.sha256()
    label_file.status = LabelFile.Status.DOWNLOADED
    label_file.downloaded_at = timezone.now()
    with reading.recorded_rows(
        customers,
        action=Action.LABEL_DOWNLOAD,
        target=label_file,
        detail=_facts(label_file),
        request=request,
        actor=user,
    ):
        for chunk in write_rows(
            layout, label_file.routine, shipments, timezone.localdate(label_file.made_at)
        ):
            digest.update(chunk)
            fileobj.write(chunk)
    label_file.file_sha256 = digest.hexdigest()
    label_file.save(update_fields=["status", "downloaded_at", "file_sha256"])
    return label_file


def write_rows(
    layout: Layout, routine: LabelRoutine, chosen: QuerySet[Shipment], day: date
) -> Iterator[bytes]:
    """The file's bytes for the ``chosen`` shipments (a label file's), the header first,
    a chunk of rows at a time (memory flat). Called inside a read scope covering the
    shipments' customers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(layout.headers)
    count = 0
    # What every row shares (the shop, the day) is worked out and guarded once.
    made = labels.template(layout, labels.file_values(sender_of(routine), day))
    for _shipment, values in _rows(layout, routine, chosen):
        writer.writerow(labels.row(layout, values, made))
        count += 1
        if count % CHUNK == 0:
            yield buffer.getvalue().encode(layout.encoding)
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode(layout.encoding)


def expire_due(*, request: HttpRequest | None = None) -> int:
    """Expire every file not downloaded within 24 hours; its shipments wait again."""
    expired = 0
    for label_file in LabelFile.objects.filter(status=LabelFile.Status.MADE):
        if not label_file.is_due_to_expire():
            continue
        with transaction.atomic():
            locked = LabelFile.objects.select_for_update().get(pk=label_file.pk)
            if not locked.is_due_to_expire():
                continue
            locked.status = LabelFile.Status.EXPIRED
            locked.expired_at = timezone.now()
            locked.save(update_fields=["status", "expired_at"])
            locked.shipments.filter(state=State.LABELLED).update(
                state=State.UNSHIPPED, label_file=None
            )
            record(Action.LABEL_EXPIRE, request=request, target=locked, detail=_facts(locked))
            expired += 1
    return expired


def _facts(label_file: LabelFile) -> dict[str, object]:
    """Non-personal facts of a label file for its ledger entries."""
    return {
        "carrier": label_file.carrier,
        "routine": label_file.routine_id,
        "shipments": label_file.shipment_count,
    }


# Tracking numbers --------------------------------------------------------------------


class TrackingResult(NamedTuple):
    """What an uploaded issued-data file did."""

    shipped: int
    unmatched: list[int]  # line numbers of rows that matched no labelled shipment


class BadTrackingFile(Exception):
    """The uploaded file cannot be read as the carrier's issued-data file; nothing changed."""


def read_tracking(carrier: str, content: bytes) -> list[tuple[int, str, str]]:
    """(line, our number, tracking number) of each row of a carrier's issued-data file."""
    layout = LAYOUTS[carrier]
    if layout.tracking is None:
        raise BadTrackingFile(_("この配送業者の送り状番号はファイルで取り込めません。"))
    try:
        text = content.decode("utf-8-sig") if content.startswith(b"\xef\xbb\xbf") else None
        text = text if text is not None else content.decode(layout.encoding)
    except UnicodeDecodeError:
        raise BadTrackingFile(_("Shift_JIS の CSV ファイルとして読めません。")) from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise BadTrackingFile(_("ファイルが空です。"))
    ours, theirs = layout.tracking
    header = [h.strip() for h in rows[0]]
    if ours not in header or theirs not in header:
        raise BadTrackingFile(
            _("見出しに「%(ours)s」と「%(theirs)s」がありません。")
            % {"ours": ours, "theirs": theirs}
        )
    a, b = header.index(ours), header.index(theirs)
    found = []
    for line, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) <= max(a, b):
            raise BadTrackingFile(_("%(line)s行目の列が足りません。") % {"line": line})
        found.append((line, cells[a].strip(), cells[b].strip()))
    return found


def record_tracking(
    user: User, carrier: str, content: bytes, *, request: HttpRequest | None = None
) -> TrackingResult:
    """Mark shipped, with their numbers, the labelled shipments the carrier's file names;
    rows that match nothing are reported (never guessed); a bad file changes nothing."""
    rows = read_tracking(carrier, content)
    shipped, unmatched = 0, []
    with transaction.atomic():
        for line, reference, number in rows:
            matching = Shipment.objects.filter(
                reference=reference, state=State.LABELLED, label_file__carrier=carrier
            )
            updated = 0
            if reference and number:
                updated = matching.update(
                    state=State.SHIPPED, tracking_number=number[:40], shipped_at=timezone.now()
                )
            if updated:
                shipped += updated
            else:
                unmatched.append(line)
        record(
            Action.SHIPMENT_TRACKING,
            request=request,
            actor=user,
            target=("shipping.shipment", ""),
            detail={"carrier": carrier, "shipped": shipped, "unmatched": len(unmatched)},
        )
    return TrackingResult(shipped, unmatched)
