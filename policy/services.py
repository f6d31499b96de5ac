"""Policy actions that must be audited: each does its work and writes its ledger entry in
one transaction, so neither happens without the other. The entry is the one record of
the saves it covers (``audit.changes.recorded_by_caller``) and names their fields.

Other apps call ``record_consent`` (the import, with channel "import"),
``record_provision`` (the export, for data handed to a third party),
``stop_third_party_provision`` and ``withdraw_consent`` (customers' own requests).
"""

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import NamedTuple, TypedDict

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from audit.actions import Action
from audit.changes import recorded_by_caller
from audit.ledger import record
from customers.models import Customer
from policy.content import language_gaps
from policy.models import (
    Channel,
    ConsentInvitation,
    ConsentRecord,
    DataItem,
    HouseRulesVersion,
    PolicyVersion,
    RulesAcceptance,
    ThirdPartyProvision,
)
from policy.register import register_digest
from vault.access import AuthenticatedHttpRequest


def create_draft(request: AuthenticatedHttpRequest, source: PolicyVersion) -> PolicyVersion:
    """A new draft copied from ``source`` (editing a published version starts here)."""
    with transaction.atomic(), recorded_by_caller() as saves:
        draft = source.new_draft(request.user)
        record(
            Action.POLICY_EDIT,
            request=request,
            target=draft,
            detail={
                "step": "draft_created",
                "based_on": source.number or str(source.pk),
                "fields": saves.fields(),
            },
        )
    return draft


def publish_version(
    request: AuthenticatedHttpRequest, version: PolicyVersion, effective_date: date
) -> PolicyVersion:
    """Publish a draft as the next numbered version and record it. A version whose two
    languages name different list items or countries is refused (``language_gaps``)."""
    if language_gaps(version.articles):
        raise ValueError("The Japanese and English texts name different things.")
    with transaction.atomic(), recorded_by_caller() as saves:
        version.register_digest = register_digest()
        version.publish(request.user, effective_date)
        record(
            Action.POLICY_PUBLISH,
            request=request,
            target=version,
            detail={
                "number": version.number,
                "effective_date": effective_date.isoformat(),
                "material_change": version.material_change,
                "content_hash": version.content_hash,
                "fields": saves.fields(),
            },
        )
    return version


def record_consent(
    customer: Customer,
    version: PolicyVersion,
    channel: str,
    *,
    request: HttpRequest | None = None,
    actor: User | None = None,
) -> ConsentRecord:
    """Record that ``customer`` agreed to ``version`` through ``channel`` (web/shop/import)."""
    if not version.is_published:
        raise ValueError("Consent can only be given to a published version.")
    with transaction.atomic(), recorded_by_caller() as saves:
        consent = ConsentRecord.objects.create(
            customer=customer,
            version=version,
            channel=channel,
            recorded_by=actor if channel != Channel.WEB else None,
        )
        record(
            Action.POLICY_CONSENT,
            request=request,
            actor=actor,
            target=consent,
            customers=[customer.pk],
            detail={"version": version.number, "channel": channel, "fields": saves.fields()},
        )
    return consent


def accept_invitation(request: HttpRequest, invitation: ConsentInvitation) -> ConsentRecord | None:
    """A customer followed their link and agreed: record consent and spend the link (the
    consent's entry covers both)."""
    with transaction.atomic(), recorded_by_caller():
        locked = ConsentInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.used_at is not None:
            return None
        locked.used_at = timezone.now()
        locked.save(update_fields=["used_at"])
        return record_consent(locked.customer, locked.version, Channel.WEB, request=request)


class ConsentLink(NamedTuple):
    """A customer and the token of their one-time consent link (shown once)."""

    customer: Customer
    token: str


def issue_invitations(
    request: HttpRequest, customers: Iterable[Customer], version: PolicyVersion
) -> list[ConsentLink]:
    """One-time consent links for ``customers``, each with its token."""
    links = []
    with transaction.atomic(), recorded_by_caller() as saves:
        for customer in customers:
            _invitation, token = ConsentInvitation.issue(customer, version)
            links.append(ConsentLink(customer, token))
        record(
            Action.POLICY_CONSENT_LINK,
            request=request,
            target=version,
            customers=[link.customer.pk for link in links],
            detail={"version": version.number, "count": len(links), "fields": saves.fields()},
        )
    return links


def record_provision(
    *,
    recipient_name: str,
    recipient_address: str,
    recipient_representative: str,
    provided_on: date,
    customers: Iterable[Customer | uuid.UUID],
    data_items: Iterable[str],
    basis: str,
    consent_evidence: str = "",
    request: HttpRequest | None = None,
    actor: User | None = None,
) -> ThirdPartyProvision:
    """Keep the APPI art. 29 record of giving ``customers``' data to a third party."""
    actor = actor or getattr(request, "user", None)
    with transaction.atomic(), recorded_by_caller() as saves:
        provision = ThirdPartyProvision.objects.create(
            recipient_name=recipient_name,
            recipient_address=recipient_address,
            recipient_representative=recipient_representative,
            provided_on=provided_on,
            data_items=list(data_items),
            basis=basis,
            consent_evidence=consent_evidence,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        # django-stubs types set()'s ids as int; a Customer's primary key is a UUID.
        provision.customers.set(customers)  # type: ignore[arg-type]
        record_provision_entry(
            provision, request=request, actor=actor, step="created", fields=saves.fields()
        )
    return provision


def record_provision_entry(
    provision: ThirdPartyProvision,
    *,
    request: HttpRequest | None = None,
    actor: User | None = None,
    step: str,
    fields: list[str],
) -> None:
    """The ledger entry for creating or correcting a provision record, naming the
    ``fields`` it changed (call it inside the ``recorded_by_caller()`` of the saves)."""
    record(
        Action.POLICY_PROVISION,
        request=request,
        actor=actor,
        target=provision,
        customers=list(provision.customers.values_list("pk", flat=True)),
        detail={
            "step": step,
            "basis": provision.basis,
            "items": list(provision.data_items),
            "fields": fields,
        },
    )


def purge_provision_records(today: date | None = None) -> int:
    """Delete provision records past their retention; record how many went (one entry
    for them all)."""
    with transaction.atomic(), recorded_by_caller():
        expired = ThirdPartyProvision.expired(today)
        ids = list(expired.values_list("pk", flat=True))
        if ids:
            ThirdPartyProvision.objects.filter(pk__in=ids).delete()
        record(
            Action.POLICY_PROVISION_PURGE,
            detail={"deleted": len(ids), "retention_years": ThirdPartyProvision.RETENTION_YEARS},
        )
    return len(ids)


def stop_third_party_provision(customer_id: uuid.UUID | None) -> None:
    """Mark the customer so that exports to third parties leave them out (APPI art. 35);
    the step's ledger entry, written by the caller, records it."""
    if customer_id is not None:
        Customer.objects.filter(pk=customer_id, third_party_stopped_at=None).update(
            third_party_stopped_at=timezone.now()
        )


def customers_excluded_from_third_party() -> QuerySet[Customer, uuid.UUID]:
    """The ids of customers who asked the shop to stop giving their data to third
    parties: an export to a third party leaves them out, and says so to its requester."""
    return Customer.objects.exclude(third_party_stopped_at=None).values_list("pk", flat=True)


def withdraw_consent(customer: Customer) -> int:
    """Mark the customer's consent records withdrawn (they stay as evidence of what was
    agreed) and drop their unused consent links; return how many records were withdrawn."""
    ConsentInvitation.objects.filter(customer=customer, used_at__isnull=True).delete()
    return ConsentRecord.objects.filter(customer=customer, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )


class ConsentFacts(TypedDict):
    """One consent of a customer, as their disclosure shows it."""

    version: int | None
    consented_at: datetime
    channel: str
    withdrawn_at: datetime | None


def consent_history(customer: Customer) -> list[ConsentFacts]:
    """The versions the customer agreed to, when, how, and any withdrawal."""
    return [
        {
            "version": consent.version.number,
            "consented_at": consent.consented_at,
            "channel": consent.get_channel_display(),
            "withdrawn_at": consent.withdrawn_at,
        }
        for consent in customer.policy_consents.select_related("version").order_by("consented_at")
    ]


class ProvisionFacts(TypedDict):
    """One third-party provision record naming a customer, as their disclosure shows it."""

    recipient_name: str
    recipient_address: str
    recipient_representative: str
    provided_on: date
    data_items: list[str]
    basis: str


def provision_records(customer: Customer) -> list[ProvisionFacts]:
    """The third-party provision records naming the customer (APPI art. 33(5))."""
    items = dict(DataItem.choices)
    return [
        {
            "recipient_name": record.recipient_name,
            "recipient_address": record.recipient_address,
            "recipient_representative": record.recipient_representative,
            "provided_on": record.provided_on,
            "data_items": [str(items.get(item, item)) for item in record.data_items],
            "basis": record.get_basis_display(),
        }
        for record in customer.third_party_provisions.order_by("provided_on")
    ]


# The house rules -------------------------------------------------------------------------


def create_rules_draft(
    request: AuthenticatedHttpRequest, source: HouseRulesVersion
) -> HouseRulesVersion:
    """A new draft of the house rules copied from ``source``."""
    with transaction.atomic(), recorded_by_caller() as saves:
        draft = HouseRulesVersion.objects.create(
            body_ja=source.body_ja, body_en=source.body_en, created_by=request.user
        )
        record(
            Action.RULES_EDIT,
            request=request,
            target=draft,
            detail={"step": "draft_created", "based_on": source.number, "fields": saves.fields()},
        )
    return draft


def publish_rules(
    request: AuthenticatedHttpRequest, version: HouseRulesVersion
) -> HouseRulesVersion:
    """Publish a draft of the house rules as the next numbered version and record it."""
    with transaction.atomic(), recorded_by_caller() as saves:
        version.publish(request.user)
        record(
            Action.RULES_PUBLISH,
            request=request,
            target=version,
            detail={
                "number": version.number,
                "material_change": version.material_change,
                "content_hash": version.content_hash,
                "fields": saves.fields(),
            },
        )
    return version


def accept_rules(
    person: User, version: HouseRulesVersion, *, request: HttpRequest | None = None
) -> RulesAcceptance:
    """Record that ``person`` read and accepted ``version`` (a published one)."""
    if not version.is_published:
        raise ValueError("Only published house rules can be accepted.")
    with transaction.atomic(), recorded_by_caller() as saves:
        acceptance = RulesAcceptance.objects.create(person=person, version=version)
        record(
            Action.RULES_ACCEPT,
            request=request,
            actor=person,
            target=acceptance,
            detail={
                "version": version.number,
                "content_hash": acceptance.content_hash,
                "fields": saves.fields(),
            },
        )
    return acceptance
