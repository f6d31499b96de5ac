"""Who and what an incident touched, built from what ShopGuard recorded, never guessed.

Each builder returns a ``Scope``: the customer ids (the affected set, frozen into the
incident), the data items involved, whether sensitive purchases are in it, and how many
customers were seen only masked. No personal value is read: ids come from the ledger's
per-customer rows and from indexed columns (purchase dates and categories).
"""

import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.models import AuditEntry
from customers.fields import BY_NAME, label
from customers.models import Customer, Purchase
from exports.models import ExportRequest

PURCHASES = "purchases"
# Data items an incident may name: every personal field, and the purchase history.
ITEMS = (*BY_NAME, PURCHASES)
# Card data ShopGuard holds: the provider's token, brand, last four digits and expiry,
# never a card number.
CARD_ITEMS = ("card_token", "card_brand", "card_last4", "card_exp")
# What a person can have done to a customer that let data out of the masked view.
TOOK = (Action.CUSTOMER_VIEW, Action.CUSTOMER_REVEAL, Action.EXPORT_DOWNLOAD)


def item_label(name):
    return _("購入履歴") if name == PURCHASES else str(label(name))


@dataclass
class Scope:
    customer_ids: list
    fields: list
    sensitive: bool
    masked_only: int = 0
    facts: dict = field(default_factory=dict)

    @property
    def field_labels(self):
        return [item_label(name) for name in self.fields]


def _items(names):
    unknown = [name for name in names if name not in ITEMS]
    if unknown:
        raise ValidationError(
            _("知らない項目があります: %(names)s") % {"names": ", ".join(unknown)}
        )
    return [name for name in ITEMS if name in names]


def _sensitive(customer_ids, fields, purchases=None):
    if PURCHASES not in fields or not customer_ids:
        return False
    purchases = purchases if purchases is not None else Purchase.objects.all()
    chunk = 5000
    for start in range(0, len(customer_ids), chunk):
        ids = customer_ids[start : start + chunk]
        if purchases.filter(customer_id__in=ids, category__sensitive=True).exists():
            return True
    return False


def from_export(export_id):
    """The customers an export's archive carried (its download entry names them all)."""
    entry = (
        AuditEntry.objects.filter(
            action=Action.EXPORT_DOWNLOAD,
            target_type="exports.exportrequest",
            target_id=str(export_id),
            outcome="ok",
        )
        .order_by("seq")
        .first()
    )
    if entry is None:
        raise ValidationError(
            _("このエクスポートはダウンロードされていないため、持ち出された顧客はいません。")
        )
    export = ExportRequest.objects.filter(pk=export_id).first()
    carried = list(entry.detail.get("fields", []))
    if entry.detail.get("purchases"):
        carried.append(PURCHASES)
    fields = _items(carried)
    ids = list(entry.customer_ids)
    facts = {"export": str(export_id), "archive_sha256": export.archive_sha256 if export else ""}
    return Scope(ids, fields, _sensitive(ids, fields), facts=facts)


def from_person(actor_id, start, end):
    """The customers one person opened, revealed or exported between ``start`` and ``end``:
    revealed fields and exported fields are named; customers only opened were seen masked."""
    if start >= end:
        raise ValidationError(_("期間の終わりは始まりより後にしてください。"))
    # The customers each of the person's opening, revealing or exporting entries names
    # (its chained customer_ids), first appearance first.
    took = AuditEntry.objects.filter(
        actor_id=actor_id, created_at__gte=start, created_at__lt=end, action__in=TOOK
    ).order_by("seq")
    took_values, fields = set(), set()
    entries = AuditEntry.objects.filter(
        actor_id=actor_id,
        created_at__gte=start,
        created_at__lt=end,
        action__in=(Action.CUSTOMER_REVEAL, Action.EXPORT_DOWNLOAD),
        outcome="ok",
    ).only("action", "detail", "customer_ids")
    for entry in entries.iterator():
        if entry.action == Action.CUSTOMER_REVEAL:
            fields.add(entry.detail.get("field", ""))
        else:
            fields.update(entry.detail.get("fields", []))
        took_values.update(entry.customer_ids)
    ids = list(
        dict.fromkeys(
            str(customer)
            for named in took.values_list("customer_ids", flat=True).iterator()
            for customer in named
        )
    )
    fields = _items({name for name in fields if name in ITEMS} | ({PURCHASES} if ids else set()))
    return Scope(
        ids,
        fields,
        _sensitive(ids, fields),
        masked_only=len(set(ids) - took_values),
        facts={"person": actor_id, "start": start.isoformat(), "end": end.isoformat()},
    )


def from_purchases(fields, *, start=None, end=None, category_ids=()):
    """Customers with a purchase in the period and/or categories (e.g. a lost order list)."""
    if not (start or end or category_ids):
        raise ValidationError(_("期間かカテゴリを指定してください。"))
    if start and end and start > end:
        raise ValidationError(_("期間の終わりは始まりより後にしてください。"))
    purchases = Purchase.objects.in_period(start, end)
    if category_ids:
        purchases = purchases.filter(category_id__in=list(category_ids))
    fields = _items(fields)
    ids = [str(pk) for pk in purchases.order_by().values_list("customer_id", flat=True).distinct()]
    facts = {
        "start": start.isoformat() if start else "",
        "end": end.isoformat() if end else "",
        "categories": [int(c) for c in category_ids],
    }
    return Scope(ids, fields, _sensitive(ids, fields, purchases), facts=facts)


def everyone(fields):
    ids = [str(pk) for pk in Customer.objects.order_by().values_list("id", flat=True)]
    fields = _items(fields)
    return Scope(ids, fields, _sensitive(ids, fields))


def manual(text, fields):
    """Customer ids typed one per line; an unknown or malformed id refuses the whole list."""
    typed = [line.strip() for line in text.splitlines() if line.strip()]
    try:
        wanted = list(dict.fromkeys(str(uuid.UUID(line)) for line in typed))
    except ValueError:
        raise ValidationError(_("顧客IDの形ではない行があります。")) from None
    known = {str(pk) for pk in Customer.objects.filter(pk__in=wanted).values_list("id", flat=True)}
    missing = len(set(wanted) - known)
    if missing:
        raise ValidationError(_("見つからない顧客IDが%(count)s件あります。") % {"count": missing})
    fields = _items(fields)
    return Scope(wanted, fields, _sensitive(wanted, fields))
