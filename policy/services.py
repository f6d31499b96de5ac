"""Policy actions that must be audited: each does its work and writes its ledger entry in
one transaction, so neither happens without the other.

Other apps call ``record_consent`` (the import, with channel "import") and
``record_provision`` (the export, for data handed to a third party).
"""

from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.display import action_label, role_label
from audit.ledger import client_ip, record
from audit.models import AuditEntry, AuditEntryCustomer
from customers import reading
from customers.models import Customer
from customers.services import erase_customer
from policy.models import (
    Channel,
    ConsentInvitation,
    ConsentRecord,
    DataRequest,
    DisclosureLink,
    PolicyVersion,
    ThirdPartyProvision,
)
from shopguard import limits
from shopguard.blind_index import full_digest
from shopguard.roles import MANAGER, OWNER, has_role

# The policy's article on the purposes of use (APPI art. 21, 32): what a purposes request
# is answered with.
PURPOSES_ARTICLE = 3


class TooManyDataRequests(Exception):
    """The sender's IP (limits.DATA_REQUESTS) or the typed address
    (limits.DATA_REQUESTS_PER_ADDRESS) has used up its data requests."""


def create_draft(request, source):
    """A new draft copied from ``source`` (editing a published version starts here)."""
    with transaction.atomic():
        draft = source.new_draft(request.user)
        record(
            Action.POLICY_EDIT,
            request=request,
            target=draft,
            detail={"step": "draft_created", "based_on": source.number or str(source.pk)},
        )
    return draft


def publish_version(request, version, effective_date):
    """Publish a draft as the next numbered version and record it."""
    with transaction.atomic():
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
            },
        )
    return version


def record_consent(customer, version, channel, *, request=None, actor=None):
    """Record that ``customer`` agreed to ``version`` through ``channel`` (web/shop/import)."""
    if not version.is_published:
        raise ValueError("Consent can only be given to a published version.")
    with transaction.atomic():
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
            detail={"version": version.number, "channel": channel},
        )
    return consent


def accept_invitation(request, invitation):
    """A customer followed their link and agreed: record consent and spend the link."""
    with transaction.atomic():
        locked = ConsentInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.used_at is not None:
            return None
        locked.used_at = timezone.now()
        locked.save(update_fields=["used_at"])
        return record_consent(locked.customer, locked.version, Channel.WEB, request=request)


def issue_invitations(request, customers, version):
    """One-time consent links for ``customers``; returns ``[(customer, token), ...]``."""
    links = []
    with transaction.atomic():
        for customer in customers:
            links.append((customer, ConsentInvitation.issue(customer, version)[1]))
        record(
            Action.POLICY_CONSENT_LINK,
            request=request,
            target=version,
            customers=[customer.pk for customer, _ in links],
            detail={"version": version.number, "count": len(links)},
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
    with transaction.atomic():
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
        record_provision_entry(provision, request=request, actor=actor, step="created")
    return provision


def record_provision_entry(provision, *, request=None, actor=None, step):
    """The ledger entry for creating or correcting a provision record."""
    record(
        Action.POLICY_PROVISION,
        request=request,
        actor=actor,
        target=provision,
        customers=list(provision.customers.values_list("pk", flat=True)),
        detail={"step": step, "basis": provision.basis, "items": list(provision.data_items)},
    )


def purge_provision_records(today=None):
    """Delete provision records past their retention; record how many went."""
    with transaction.atomic():
        expired = ThirdPartyProvision.expired(today)
        ids = list(expired.values_list("pk", flat=True))
        if ids:
            ThirdPartyProvision.objects.filter(pk__in=ids).delete()
        record(
            Action.POLICY_PROVISION_PURGE,
            detail={"deleted": len(ids), "retention_years": ThirdPartyProvision.RETENTION_YEARS},
        )
    return len(ids)


class DuplicateDataRequest(Exception):
    """A request of the same kind from the same typed address is still open."""


def receive_data_request(request, *, email, **fields):
    """Store a customer's data request (its contact details encrypted), record it, and
    mail an identity-check code to the address on file, if the typed one is a customer's.

    Known and unknown addresses take the same path (the same queries and the same work;
    an unknown one gets the hash of a code nobody is sent), so nothing in the answer tells
    who is a customer. Raises TooManyDataRequests (per sending IP and per typed address)
    or DuplicateDataRequest, storing nothing; the counts are taken under their locks in
    the transaction of the insert.
    """
    digest = full_digest("email", email)
    with transaction.atomic():
        if not (
            limits.DATA_REQUESTS.take(client_ip(request))
            and limits.DATA_REQUESTS_PER_ADDRESS.take(("email", digest))
        ):
            raise TooManyDataRequests
        if open_request_exists(digest, fields["kind"]):
            raise DuplicateDataRequest
        customer = reading.customer_holding("email", digest)
        data_request = DataRequest(email=email, email_digest=digest, customer=customer, **fields)
        code = data_request.issue_code(send=customer is not None)
        data_request.save()
        entry = record(
            Action.DATA_REQUEST,
            request=request,
            target=data_request,
            customers=[customer.pk] if customer else [],
            detail={"step": DataRequest.Step.RECEIVED, "kind": data_request.kind},
        )
        address = reading.address_on_file(customer, entry) if customer else None
    # Mailed once the request is stored (a mail for a request that failed to save would
    # carry a code nothing accepts), and only to the address on file.
    # The page the customer is sent to, and the one the mail links to: the same address.
    data_request.page_path = request_page_path(data_request)
    if address is not None:
        mail_code(address, data_request, code, request.build_absolute_uri(data_request.page_path))
    return data_request


def open_request_exists(digest, kind):
    """Whether the typed address already has an open request of ``kind``."""
    still_open = DataRequest.objects.filter(
        email_digest=digest, kind=kind, step__in=DataRequest.OPEN_STEPS
    )
    # A code nobody entered in time leaves the request open only until it expires.
    return still_open.exclude(
        step=DataRequest.Step.RECEIVED, code_expires_at__lt=timezone.now()
    ).exists()


def request_page_path(data_request):
    return reverse("privacy:request_done", kwargs={"token": request_token(data_request)})


def mail_code(address, data_request, code, link):
    """The identity-check mail: the reference, the kind, the code and the page to enter
    it on; nothing else about the person (not even the name they typed)."""
    context = {
        "reference": data_request.reference,
        "kind": data_request.get_kind_display(),
        "code": code,
        "link": link,
        "minutes": int(DataRequest.CODE_VALID_FOR.total_seconds() // 60),
    }
    subject = _("【%(reference)s】ご本人確認コード") % context
    body = render_to_string("policy/request_code_mail.txt", context)
    send_mail(str(subject), body, None, [address])


def verify_data_request(request, data_request, code):
    """Check one typed code under the request's row lock; return the request's step
    after the try (identity confirmed, still waiting, or closed), recorded."""
    with transaction.atomic():
        locked = DataRequest.objects.select_for_update().get(pk=data_request.pk)
        step = locked.try_code(code)
        if step is None:
            return locked.step
        if step != DataRequest.Step.RECEIVED:
            record(
                Action.DATA_REQUEST_STEP,
                request=request,
                target=locked,
                customers=[locked.customer_id] if locked.customer_id else [],
                detail={"step": step, "kind": locked.kind, "attempts": locked.code_attempts},
            )
        purposes = step == DataRequest.Step.IDENTITY_CONFIRMED and locked.customer_id
        answer = answer_purposes(request, locked) if purposes else None
    if answer is not None:
        mail_purposes(*answer)
    return step


def answer_purposes(request, data_request):
    """A verified request for the purposes of use is answered at once, from Article 3 of
    the policy in effect, and closed; returns what the mail needs (sent after commit)."""
    if data_request.kind != DataRequest.Kind.PURPOSES:
        return None
    version = PolicyVersion.objects.current()
    article = next(a for a in version.articles if a["number"] == PURPOSES_ARTICLE)
    data_request.step, data_request.done_at = DataRequest.Step.DONE, timezone.now()
    data_request.save(update_fields=["step", "done_at"])
    entry = record(
        Action.DATA_REQUEST_STEP,
        request=request,
        target=data_request,
        customers=[data_request.customer_id],
        detail={"step": data_request.step, "kind": data_request.kind, "policy": version.number},
    )
    address = reading.address_on_file(data_request.customer, entry)
    return address, data_request, version, article


def mail_purposes(address, data_request, version, article):
    """The purposes of use, as Article 3 of ``version`` says them, in both languages."""
    context = {"reference": data_request.reference, "version": version, "article": article}
    subject = _("【%(reference)s】個人情報の利用目的") % context
    body = render_to_string("policy/request_purposes_mail.txt", context)
    send_mail(str(subject), body, None, [address])


def advance_data_request(request, data_request):
    """Move a verified data request to its next step (in progress, then done), record
    it naming the customer, and tell the customer once it is done. A deletion or
    stop-of-use request is done only by its erasure (``erase_for_request``)."""
    if data_request.asks_erasure and data_request.step == DataRequest.Step.IN_PROGRESS:
        raise ValueError("A deletion or stop-of-use request is done by erasing the customer.")
    with transaction.atomic():
        step = data_request.advance(request.user)
        entry = record(
            Action.DATA_REQUEST_STEP,
            request=request,
            target=data_request,
            customers=[data_request.customer_id] if data_request.customer_id else [],
            detail={"step": step, "kind": data_request.kind},
        )
        if step == DataRequest.Step.DONE and data_request.kind == DataRequest.Kind.STOP_PROVISION:
            stop_third_party_provision(data_request.customer_id)
        customer = data_request.customer if step == DataRequest.Step.DONE else None
        address = reading.address_on_file(customer, entry) if customer else None
        link = disclosure_link(request, data_request) if customer else ""
    if address is not None:
        mail_outcome(address, data_request, link=link)
    return step


def disclosure_link(request, data_request):
    """A done disclosure request gets its one-time download (valid 7 days): the link's
    address for the customer's mail, or '' for other kinds."""
    if data_request.kind != DataRequest.Kind.DISCLOSE:
        return ""
    token = DisclosureLink.issue(data_request)
    return request.build_absolute_uri(reverse("privacy:disclosure_link", args=[token]))


# A request's own page stays reachable this long through its signed token: long enough
# to come back with the mailed code, never a lasting address for someone else's request.
REQUEST_TOKEN_MAX_AGE = 60 * 60 * 24
REQUEST_TOKEN_SALT = "policy.data_request"


def request_token(data_request):
    """A signed, timestamped token naming ``data_request`` by its reference only."""
    return signing.dumps(data_request.reference, salt=REQUEST_TOKEN_SALT, compress=True)


def request_for_token(token):
    """The data request a token names, or None for a forged, foreign or old token."""
    try:
        reference = signing.loads(token, salt=REQUEST_TOKEN_SALT, max_age=REQUEST_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    return DataRequest.objects.filter(reference=reference).first()


def refuse_data_request(request, data_request, reason):
    """Refuse an open request with ``reason``, record it (without the reason) and mail
    the reason to the address on file."""
    with transaction.atomic():
        locked = DataRequest.objects.select_for_update().get(pk=data_request.pk)
        locked.refuse(request.user, reason)
        entry = record(
            Action.DATA_REQUEST_STEP,
            request=request,
            target=locked,
            customers=[locked.customer_id] if locked.customer_id else [],
            detail={"step": locked.step, "kind": locked.kind},
        )
        customer = locked.customer
        address = reading.address_on_file(customer, entry) if customer else None
    if address is not None:
        mail_outcome(address, locked, reason)
    return locked


def mail_outcome(address, data_request, reason="", link=""):
    """Tell the customer how their request ended (done, or refused with the reason; a
    disclosure with its one-time download link)."""
    context = {
        "reference": data_request.reference,
        "kind": data_request.get_kind_display(),
        "step": data_request.get_step_display(),
        "reason": reason,
        "link": link,
        "days": DisclosureLink.LIFETIME.days,
    }
    subject = _("【%(reference)s】ご請求への対応結果") % context
    body = render_to_string("policy/request_outcome_mail.txt", context)
    send_mail(str(subject), body, None, [address])


def requests_due_for(user):
    """The open, verified data requests ``user`` handles (owner, manager), soonest due
    first, as plain facts for the home page: no personal data, nothing to decrypt."""
    if not has_role(user, OWNER, MANAGER):
        return []
    queue = DataRequest.objects.filter(
        step__in=(DataRequest.Step.IDENTITY_CONFIRMED, DataRequest.Step.IN_PROGRESS)
    ).only("id", "reference", "kind", "step", "identity_confirmed_at")
    facts = [
        {
            "id": r.pk,
            "reference": r.reference,
            "kind": r.kind,
            "kind_label": r.get_kind_display(),
            "step": r.step,
            "step_label": r.get_step_display(),
            "due_on": timezone.localdate(r.due_at),
            "days_left": r.days_left(),
            "warned": r.is_warned(),
            "overdue": r.days_left() < 0,
            "days_overdue": max(0, -r.days_left()),
        }
        for r in queue
    ]
    return sorted(facts, key=lambda fact: fact["days_left"])


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


def erase_for_request(request, data_request):
    """Answer an open deletion or stop-of-use request by erasing the linked customer's
    personal data for good: consent withdrawn, the customer's other requests forgotten
    too, the request done; the customer is told at the address on file, read before it
    is erased. Raises ValueError for a request that cannot be answered this way."""
    with transaction.atomic():
        locked = DataRequest.objects.select_for_update().get(pk=data_request.pk)
        if not (locked.is_open and locked.asks_erasure and locked.customer_id):
            raise ValueError("Only an open deletion or stop-of-use request of a customer.")
        customer = locked.customer
        locked.step, locked.done_at, locked.done_by = (
            DataRequest.Step.DONE,
            timezone.now(),
            request.user,
        )
        locked.save(update_fields=["step", "done_at", "done_by"])
        entry = record(
            Action.DATA_REQUEST_STEP,
            request=request,
            target=locked,
            customers=[customer.pk],
            detail={"step": locked.step, "kind": locked.kind},
        )
        address = reading.address_on_file(customer, entry)
        withdrawn = withdraw_consent(customer)
        forget_requests_of(customer)
        detail = {"request": locked.reference, "kind": locked.kind, "consents_withdrawn": withdrawn}
        erase_customer(request, customer, detail=detail)
    mail_outcome(address, locked)
    return locked


def withdraw_consent(customer):
    """Mark the customer's consent records withdrawn (they stay as evidence of what was
    agreed) and drop their unused consent links; return how many records were withdrawn."""
    ConsentInvitation.objects.filter(customer=customer, used_at__isnull=True).delete()
    return ConsentRecord.objects.filter(customer=customer, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )


def forget_requests_of(customer):
    """Erase what the customer typed into any of their requests, and the per-address
    limit's counter, which is keyed by their address's digest."""
    for data_request in DataRequest.objects.filter(customer=customer):
        if data_request.email_digest:
            limits.DATA_REQUESTS_PER_ADDRESS.clear(("email", data_request.email_digest))
        data_request.forget_contact()


def open_disclosure(request, link):
    """Spend a disclosure link (under its row lock) and return the customer's answer:
    their profile, purchases, consent history, the third-party provision records about
    them and who at the shop looked at their data; None for a used or expired link,
    changing nothing."""
    with transaction.atomic():
        locked = DisclosureLink.objects.select_for_update().get(pk=link.pk)
        data_request = locked.data_request
        customer = data_request.customer
        if not locked.is_usable or customer is None:
            return None
        locked.used_at = timezone.now()
        locked.save(update_fields=["used_at"])
        profile, purchases = reading.own_data(
            customer,
            action=Action.DATA_REQUEST_DISCLOSE,
            target=data_request,
            request=request,
            detail={"reference": data_request.reference},
        )
        return {
            "reference": data_request.reference,
            "prepared_at": locked.used_at,
            "profile": profile,
            "purchases": purchases,
            "consents": consent_history(customer),
            "provisions": provision_records(customer),
            "looks": shop_looks(customer),
        }


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


def shop_looks(customer):
    """Who at the shop looked at or worked with the customer's data, when and why, from
    the ledger: the person's role (not their name), the time, the action and the reason
    they gave. Entries that name other customers too (a list page) say nothing of them."""
    named = AuditEntryCustomer.objects.filter(customer_id=str(customer.pk), actor_id__isnull=False)
    entries = AuditEntry.objects.filter(pk__in=named.values("entry_id")).order_by("seq")
    return [
        {
            "at": entry.created_at,
            "role": str(role_label(entry.actor_role) or ""),
            "action": str(action_label(entry.action)),
            "reason": str((entry.detail or {}).get("reason", "")),
        }
        for entry in entries.only("created_at", "actor_role", "action", "detail")
    ]
