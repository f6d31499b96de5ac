"""Retention that forgets on time (APPI art. 22): each category of data, how long it is
kept, and removing what is past it in short batches.

The periods are settings (``shopguard/settings.py``, "Retention"), read here only:

* customers without a purchase (or, with none, since they were added) for
  ``RETENTION_CUSTOMER_YEARS`` are anonymised; their purchases keep amount, date and
  category for the accounts;
* purchases older than ``RETENTION_PURCHASE_YEARS`` (the tax records' 7 years) are removed;
* ledger entries older than ``AUDIT_RETENTION_DAYS`` (``purge_audit``, which leaves a
  checkpoint so the rest still verifies);
* third-party provision records after 3 years (``purge_provision_records``);
* finished data requests after ``RETENTION_DATA_REQUEST_YEARS``;
* export and label files: 24 hours (``purge_exports``; no archive is ever stored).

Legal holds: an incident still under investigation (no final report yet) holds its
customers' records from every purge here; one whose scope is not fixed yet holds them
all, as does any open incident for the ledger (its scope is read from the ledger).

Each batch is one short transaction (on SQLite, the database's write lock is held only
for it), recorded by its own ledger entry; every category's total is a
``retention.applied`` entry.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from time import monotonic

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from audit import changes
from audit.actions import Action
from audit.ledger import record
from audit.management.commands.purge_audit import purge_before
from audit.models import AuditEntry
from customers.fields import PERSONAL_FIELDS
from customers.models import ANONYMISED_NAME, ANONYMISED_PRODUCT, Customer, Purchase
from datarequests.models import DataRequest
from exports.services import expire_due
from incidents.models import Incident
from policy.models import ThirdPartyProvision
from policy.services import purge_provision_records
from shipping.models import Shipment
from shipping.services import PERSONAL_SHIPMENT_FIELDS
from vault.blind_index import blind_index
from vault.reads import bulk_read

# Customers anonymised per transaction, at most, and the time a batch may hold the write
# lock. A batch reads its customers before its transaction opens, then anonymises one
# customer after another and commits as soon as one more, as slow as the slowest of the
# batch so far, would take it past BATCH_SECONDS: so on SQLite the database's write lock
# is held about a quarter of a second, far from the 1 s the shop's writers may wait,
# even when a loaded machine makes each customer slow (bench_upkeep: with 0.5 s checked
# only after each customer, the longest batch held it 1.29 s at load 14).
CUSTOMER_BATCH = 100
BATCH_SECONDS = 0.25
# Purchases removed per transaction (a plain delete, no value to seal).
PURCHASE_BATCH = 2_000


@dataclass
class Holds:
    """What open incidents hold back from every purge."""

    customer_ids: set[str] = field(default_factory=set)
    everything: bool = False  # an open incident whose scope is not fixed yet
    ledger: bool = False  # any open incident: its scope is read from the ledger


def legal_holds() -> Holds:
    holds = Holds()
    for incident in Incident.objects.filter(final_reported_at__isnull=True):
        holds.ledger = True
        if incident.scope_frozen_at is None:
            holds.everything = True
        holds.customer_ids.update(str(pk) for pk in incident.scope_customer_ids)
    return holds


def years_ago(years: int):
    return timezone.now() - timedelta(days=round(365.25 * years))


def customers_due(holds: Holds):
    """Customers past ``RETENTION_CUSTOMER_YEARS`` without a purchase, not yet
    anonymised and not held."""
    cutoff = years_ago(settings.RETENTION_CUSTOMER_YEARS)
    due = (
        Customer.objects.filter(anonymised_at__isnull=True)
        .annotate(last_purchase=Max("purchases__purchased_on"))
        .filter(
            Q(last_purchase__lt=cutoff.date())
            | Q(last_purchase__isnull=True, created_at__lt=cutoff)
        )
    )
    if holds.everything:
        return due.none()
    return due.exclude(pk__in=holds.customer_ids)


def purchases_due(holds: Holds):
    cutoff = years_ago(settings.RETENTION_PURCHASE_YEARS).date()
    due = Purchase.objects.filter(purchased_on__lt=cutoff)
    if holds.everything:
        return due.none()
    return due.exclude(customer_id__in=holds.customer_ids)


def data_requests_due():
    cutoff = years_ago(settings.RETENTION_DATA_REQUEST_YEARS)
    finished = Q(done_at__lt=cutoff) | Q(step=DataRequest.Step.CLOSED, received_at__lt=cutoff)
    return DataRequest.objects.filter(finished)


def ledger_due(holds: Holds):
    if holds.ledger:
        return AuditEntry.objects.none()
    cutoff = timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    return AuditEntry.objects.filter(created_at__lt=cutoff)


@dataclass
class Plan:
    """What is due, per category, in counts (``apply_retention --dry-run``)."""

    counts: dict[str, int]
    holds: Holds


CATEGORIES = ("customers", "purchases", "ledger", "provisions", "data_requests", "exports")


def plan() -> Plan:
    holds = legal_holds()
    return Plan(
        counts={
            "customers": customers_due(holds).count(),
            "purchases": purchases_due(holds).count(),
            "ledger": ledger_due(holds).count(),
            "provisions": ThirdPartyProvision.expired().count(),
            "data_requests": data_requests_due().count(),
        },
        holds=holds,
    )


def apply(on_batch=None) -> dict[str, int]:
    """Remove or anonymise everything due, category by category, in batches; return the
    counts done. ``on_batch(category, seconds)`` is told each batch's duration."""
    holds = legal_holds()
    done = {
        "customers": anonymise_due(holds, on_batch),
        "purchases": delete_in_batches(purchases_due(holds), "purchases", on_batch),
        "data_requests": delete_in_batches(data_requests_due(), "data_requests", on_batch),
        "provisions": purge_provision_records(),
        "exports": expire_due(),
    }
    done["ledger"] = purge_ledger(holds)
    for category, count in done.items():
        record(
            Action.RETENTION_APPLIED,
            target=("upkeep.retention", category),
            detail={"category": category, "count": count, "held": len(holds.customer_ids)},
        )
    return done


def _timed(on_batch, category, work):
    started = timezone.now()
    result = work()
    if on_batch is not None:
        on_batch(category, (timezone.now() - started).total_seconds())
    return result


def anonymise_due(holds: Holds, on_batch=None) -> int:
    # Found once (a scan of every customer), then worked through in short batches.
    due = list(customers_due(holds).values_list("pk", flat=True))
    position = 0
    while position < len(due):
        position += anonymise_batch(due[position : position + CUSTOMER_BATCH], on_batch)
    return len(due)


def anonymise_batch(ids, on_batch=None) -> int:
    """Anonymise these customers in one transaction, recorded by one entry naming them,
    ending it before it would hold the write lock past ``BATCH_SECONDS``; return how
    many of ``ids`` it went through (a customer removed meanwhile is passed over).
    ``on_batch("customers", seconds)`` is told how long the transaction was open."""
    found = {customer.pk: customer for customer in Customer.objects.filter(pk__in=ids)}
    done, consumed, slowest = [], 0, 0.0
    with transaction.atomic(), changes.recorded_by_caller(naming=False):
        opened = monotonic()  # SQLite: BEGIN IMMEDIATE has taken the write lock
        for consumed, pk in enumerate(ids, start=1):  # noqa: B007 (read after the loop)
            if pk in found:
                started = monotonic()
                found[pk].anonymise()
                slowest = max(slowest, monotonic() - started)
                done.append(pk)
            if monotonic() - opened + slowest >= BATCH_SECONDS:
                break
        record(
            Action.CUSTOMER_ANONYMISE,
            target=("upkeep.retention", "customers"),
            customers=done,
            detail={"reason": "retention", "years": settings.RETENTION_CUSTOMER_YEARS},
        )
    if on_batch is not None:
        on_batch("customers", monotonic() - opened)
    return consumed


def delete_in_batches(queryset, category, on_batch=None) -> int:
    model = queryset.model
    due = list(queryset.values_list("pk", flat=True))
    for start in range(0, len(due), PURCHASE_BATCH):
        ids = due[start : start + PURCHASE_BATCH]

        def batch(ids=ids):
            with transaction.atomic(), changes.recorded_by_caller(naming=False):
                customers = []
                if model is Purchase:
                    customers = list(
                        Purchase.objects.filter(pk__in=ids)
                        .values_list("customer_id", flat=True)
                        .distinct()
                    )
                model.objects.filter(pk__in=ids).delete()
                record(
                    Action.RETENTION_APPLIED,
                    target=("upkeep.retention", category),
                    customers=customers,
                    detail={"category": category, "batch": len(ids)},
                )

        _timed(on_batch, category, batch)
    return len(due)


def purge_ledger(holds: Holds) -> int:
    if holds.ledger:
        return 0
    checkpoint = purge_before(timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS))
    return checkpoint.detail["removed"] if checkpoint else 0


@dataclass
class Leftover:
    """What a re-scan found of anonymised customers: should all be zero."""

    sealed_values: int = 0
    indexes: int = 0
    product_names: int = 0
    shipments: int = 0  # not gone out, or still naming a recipient or tracking number

    @property
    def clean(self) -> bool:
        return not (self.sealed_values or self.indexes or self.product_names or self.shipments)


def rescan() -> Leftover:
    """Open every anonymised customer's record, product names and shipments: none may
    still hold a personal value, a search index, a product name, a gift recipient or a
    tracking number, and no box of theirs may still wait to go out."""
    found = Leftover()
    empty = {kind: blind_index(kind, "") for kind in ("email", "phone")}
    anonymised = Customer.objects.filter(anonymised_at__isnull=False)
    found.indexes = (
        anonymised.exclude(email_index=empty["email"]).count()
        + anonymised.exclude(phone_index=empty["phone"]).count()
        + anonymised.exclude(name_index=blind_index("name", ANONYMISED_NAME)).count()
    )
    with bulk_read("retention_check"):
        for customer in anonymised.iterator(chunk_size=2_000):
            if customer.name != ANONYMISED_NAME or any(
                getattr(customer, name) for name in PERSONAL_VALUES
            ):
                found.sealed_values += 1
        purchases = Purchase.objects.filter(customer__anonymised_at__isnull=False)
        for purchase in purchases.iterator(chunk_size=2_000):
            if purchase.product_name != ANONYMISED_PRODUCT:
                found.product_names += 1
        shipments = Shipment.objects.filter(customer__anonymised_at__isnull=False)
        found.shipments = shipments.exclude(state=Shipment.State.SHIPPED).count()
        for shipment in shipments.filter(state=Shipment.State.SHIPPED).iterator(chunk_size=2_000):
            if any(getattr(shipment, name) for name in PERSONAL_SHIPMENT_FIELDS):
                found.shipments += 1
    return found


# Every personal field but the name (a placeholder) and gender (a neutral choice).
PERSONAL_VALUES = tuple(name for name in PERSONAL_FIELDS if name not in ("name", "gender"))
