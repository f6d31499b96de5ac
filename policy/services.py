"""Policy actions that must be audited: each does its work and writes its ledger entry in
one transaction, so neither happens without the other. The entry is the one record of
the saves it covers (``audit.changes.recorded_by_caller``) and names their fields.

Other apps call ``record_consent`` (the import, with channel "import"),
``record_provision`` (the export, for data handed to a third party),
``stop_third_party_provision`` and ``withdraw_consent`` (customers' own requests).
"""

from django.db import transaction
from django.utils import timezone

from audit.actions import Action
from audit.changes import recorded_by_caller
from audit.ledger import record
from customers.models import Customer
from policy.models import Channel, ConsentInvitation, ConsentRecord, ThirdPartyProvision


def create_draft(request, source):
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


def publish_version(request, version, effective_date):
    """Publish a draft as the next numbered version and record it."""
    with transaction.atomic(), recorded_by_caller() as saves:
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


def record_consent(customer, version, channel, *, request=None, actor=None):
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


def accept_invitation(request, invitation):
    """A customer followed their link and agreed: record consent and spend the link (the
    consent's entry covers both)."""
    with transaction.atomic(), recorded_by_caller():
        locked = ConsentInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.used_at is not None:
            return None
        locked.used_at = timezone.now()
        locked.save(update_fields=["used_at"])
        return record_consent(locked.customer, locked.version, Channel.WEB, request=request)


def issue_invitations(request, customers, version):
    """One-time consent links for ``customers``; returns ``[(customer, token), ...]``."""
    links = []
    with transaction.atomic(), recorded_by_caller() as saves:
        for customer in customers:
            links.append((customer, ConsentInvitation.issue(customer, version)[1]))
        record(
            Action.POLICY_CONSENT_LINK,
            request=request,
            target=version,
            customers=[customer.pk for customer, _ in links],
            detail={"version": version.number, "count": len(links), "fields": saves.fields()},
        )
    return links


def record_provision(
    *,
    recipient_name,
    recipient_address,
    recipient_representative,
    provided_on,
    customers,
    data_items,
    basis,
    consent_evidence="",
    request=None,
    actor=None,
):
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
        provision.customers.set(customers)
        record_provision_entry(
            provision, request=request, actor=actor, step="created", fields=saves.fields()
        )
    return provision


def record_provision_entry(provision, *, request=None, actor=None, step, fields):
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


def purge_provision_records(today=None):
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


def stop_third_party_provision(customer_id):
    """Mark the customer so that exports to third parties leave them out (APPI art. 35);
    the step's ledger entry, written by the caller, records it."""
    if customer_id is not None:
        Customer.objects.filter(pk=customer_id, third_party_stopped_at=None).update(
            third_party_stopped_at=timezone.now()
        )


def customers_excluded_from_third_party():
    """The ids of customers who asked the shop to stop giving their data to third
    parties: an export to a third party leaves them out, and says so to its requester."""
    return Customer.objects.exclude(third_party_stopped_at=None).values_list("pk", flat=True)


def withdraw_consent(customer):
    """Mark the customer's consent records withdrawn (they stay as evidence of what was
    agreed) and drop their unused consent links; return how many records were withdrawn."""
    ConsentInvitation.objects.filter(customer=customer, used_at__isnull=True).delete()
    return ConsentRecord.objects.filter(customer=customer, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )


def consent_history(customer):
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


def provision_records(customer):
    """The third-party provision records naming the customer (APPI art. 33(5))."""
    items = dict(ThirdPartyProvision.DataItem.choices)
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
