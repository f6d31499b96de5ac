"""Customers' own data requests: receiving one, the identity check, the shop's steps,
refusal, erasure and the one-time disclosure. Each does its work and writes its ledger
entry in one transaction; the entry is the one record of the saves it covers
(``audit.changes.recorded_by_caller``) and names their fields. Mails are sent after the
commit, only to the address on file (``customers.reading.address_on_file``: the one before
any change made at the shop within the hold period, so nobody at the shop can route a
customer's code or answer to an address they chose)."""

import uuid
from datetime import date, datetime
from typing import Any, NamedTuple, TypedDict

from django.contrib.auth.models import User
from django.core import signing
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.appearances import naming
from audit.changes import recorded_by_caller
from audit.display import action_label, role_label
from audit.ledger import record
from audit.models import AuditEntry
from customers import reading
from customers.models import Customer
from customers.services import erase_customer
from datarequests.models import DataRequest, DisclosureLink
from policy.models import PolicyVersion
from policy.services import (
    ConsentFacts,
    ProvisionFacts,
    consent_history,
    provision_records,
    stop_third_party_provision,
    withdraw_consent,
)
from vault import limits
from vault.access import AuthenticatedHttpRequest
from vault.addresses import client_address
from vault.blind_index import full_digest
from vault.mail import send_mail

# The policy's article on the purposes of use (APPI art. 21, 32): what a purposes request
# is answered with.
PURPOSES_ARTICLE = 3


class TooManyDataRequests(Exception):
    """The sender's IP (limits.DATA_REQUESTS) or the typed address
    (limits.DATA_REQUESTS_PER_ADDRESS) has used up its data requests."""


class DuplicateDataRequest(Exception):
    """A request of the same kind from the same typed address is still open."""


def receive_data_request(request: HttpRequest, *, email: str, **fields: Any) -> DataRequest:
    """Store a customer's data request (its contact details encrypted), record it, and
    mail an identity-check code to the address on file, if the typed one is a customer's.

    Known and unknown addresses take the same path (the same queries and the same work;
    an unknown one gets the hash of a code nobody is sent), so nothing in the answer tells
    who is a customer. Raises TooManyDataRequests (per sending IP and per typed address)
    or DuplicateDataRequest, storing nothing; the counts are taken under their locks in
    the transaction of the insert.
    """
    digest = full_digest("email", email)
    with transaction.atomic(), recorded_by_caller() as saves:
        if not (
            limits.DATA_REQUESTS.take(client_address(request))
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
            detail={
                "step": DataRequest.Step.RECEIVED,
                "kind": data_request.kind,
                "fields": saves.fields(),
            },
        )
        address = reading.address_on_file(customer, entry)
    # Mailed once the request is stored (a mail for a request that failed to save would
    # carry a code nothing accepts), and only to the address on file.
    # The page the customer is sent to, and the one the mail links to: the same address.
    data_request.page_path = request_page_path(data_request)
    if address:
        mail_code(address, data_request, code, request.build_absolute_uri(data_request.page_path))
    return data_request


def open_request_exists(digest: str, kind: str) -> bool:
    """Whether the typed address already has an open request of ``kind``."""
    still_open = DataRequest.objects.filter(
        email_digest=digest, kind=kind, step__in=DataRequest.OPEN_STEPS
    )
    # A code nobody entered in time leaves the request open only until it expires.
    return still_open.exclude(
        step=DataRequest.Step.RECEIVED, code_expires_at__lt=timezone.now()
    ).exists()


def request_page_path(data_request: DataRequest) -> str:
    return reverse("datarequests:received", kwargs={"token": request_token(data_request)})


def mail_code(address: str, data_request: DataRequest, code: str, link: str) -> None:
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
    body = render_to_string("datarequests/request_code_mail.txt", context)
    send_mail(str(subject), body, None, [address])


def verify_data_request(request: HttpRequest, data_request: DataRequest, code: str) -> str:
    """Check one typed code under the request's row lock; return the request's step
    after the try (identity confirmed, still waiting, or closed), recorded. A wrong code
    that leaves the request waiting has no step entry: its save is a model.update."""
    with transaction.atomic(), recorded_by_caller() as saves:
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
                detail={
                    "step": step,
                    "kind": locked.kind,
                    "attempts": locked.code_attempts,
                    "fields": saves.fields(),
                },
            )
        purposes = step == DataRequest.Step.IDENTITY_CONFIRMED and locked.customer_id
        answer = answer_purposes(request, locked) if purposes else None
    if answer is not None and answer.address:
        mail_purposes(answer.address, answer.data_request, answer.version, answer.article)
    return step


class PurposesAnswer(NamedTuple):
    """What the mail answering a purposes request needs (sent after the commit)."""

    address: str  # on file
    data_request: DataRequest
    version: PolicyVersion  # the policy in effect
    article: dict[str, Any]  # its article on the purposes of use


def answer_purposes(request: HttpRequest, data_request: DataRequest) -> PurposesAnswer | None:
    """A verified request for the purposes of use is answered at once, from Article 3 of
    the policy in effect, and closed; returns what the mail needs (sent after commit)."""
    if data_request.kind != DataRequest.Kind.PURPOSES:
        return None
    version = PolicyVersion.objects.current()
    article = next(a for a in version.articles if a["number"] == PURPOSES_ARTICLE)
    with recorded_by_caller() as saves:
        data_request.step, data_request.done_at = DataRequest.Step.DONE, timezone.now()
        data_request.save(update_fields=["step", "done_at"])
        entry = record(
            Action.DATA_REQUEST_STEP,
            request=request,
            target=data_request,
            customers=[data_request.customer_id],
            detail={
                "step": data_request.step,
                "kind": data_request.kind,
                "policy": version.number,
                "fields": saves.fields(),
            },
        )
    address = reading.address_on_file(data_request.customer, entry)
    return PurposesAnswer(address, data_request, version, article)


def mail_purposes(
    address: str, data_request: DataRequest, version: PolicyVersion, article: dict[str, Any]
) -> None:
    """The purposes of use, as Article 3 of ``version`` says them, in both languages."""
    context = {"reference": data_request.reference, "version": version, "article": article}
    subject = _("【%(reference)s】個人情報の利用目的") % context
    body = render_to_string("datarequests/request_purposes_mail.txt", context)
    send_mail(str(subject), body, None, [address])


def advance_data_request(request: AuthenticatedHttpRequest, data_request: DataRequest) -> str:
    """Move a verified data request to its next step (in progress, then done), record
    it naming the customer, and tell the customer once it is done. A deletion or
    stop-of-use request is done only by its erasure (``erase_for_request``)."""
    if data_request.asks_erasure and data_request.step == DataRequest.Step.IN_PROGRESS:
        raise ValueError("A deletion or stop-of-use request is done by erasing the customer.")
    # The step's entry also covers the disclosure link made with it.
    with transaction.atomic(), recorded_by_caller() as saves:
        step = data_request.advance(request.user)
        entry = record(
            Action.DATA_REQUEST_STEP,
            request=request,
            target=data_request,
            customers=[data_request.customer_id] if data_request.customer_id else [],
            detail={"step": step, "kind": data_request.kind, "fields": saves.fields()},
        )
        if step == DataRequest.Step.DONE and data_request.kind == DataRequest.Kind.STOP_PROVISION:
            stop_third_party_provision(data_request.customer_id)
        customer = data_request.customer if step == DataRequest.Step.DONE else None
        address = reading.address_on_file(customer, entry) if customer else None
        link = disclosure_link(request, data_request) if customer else ""
    if address:
        mail_outcome(address, data_request, link=link)
    return step


def disclosure_link(request: HttpRequest, data_request: DataRequest) -> str:
    """A done disclosure request gets its one-time download (valid 7 days): the link's
    address for the customer's mail, or '' for other kinds."""
    if data_request.kind != DataRequest.Kind.DISCLOSE:
        return ""
    token = DisclosureLink.issue(data_request)
    return request.build_absolute_uri(reverse("datarequests:disclosure_link", args=[token]))


# A request's own page stays reachable this long through its signed token: long enough
# to come back with the mailed code, never a lasting address for someone else's request.
REQUEST_TOKEN_MAX_AGE = 60 * 60 * 24
# The salt keeps the name of the app the requests began in: links already mailed work.
REQUEST_TOKEN_SALT = "policy.data_request"


def request_token(data_request: DataRequest) -> str:
    """A signed, timestamped token naming ``data_request`` by its reference only."""
    return signing.dumps(data_request.reference, salt=REQUEST_TOKEN_SALT, compress=True)


def request_for_token(token: str) -> DataRequest | None:
    """The data request a token names, or None for a forged, foreign or old token."""
    try:
        reference = signing.loads(token, salt=REQUEST_TOKEN_SALT, max_age=REQUEST_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    return DataRequest.objects.filter(reference=reference).first()


def refuse_data_request(
    request: AuthenticatedHttpRequest, data_request: DataRequest, reason: str
) -> DataRequest:
    """Refuse an open request with ``reason``, record it (without the reason) and mail
    the reason to the address on file."""
    with transaction.atomic(), recorded_by_caller() as saves:
        locked = DataRequest.objects.select_for_update().get(pk=data_request.pk)
        locked.refuse(request.user, reason)
        entry = record(
            Action.DATA_REQUEST_STEP,
            request=request,
            target=locked,
            customers=[locked.customer_id] if locked.customer_id else [],
            detail={"step": locked.step, "kind": locked.kind, "fields": saves.fields()},
        )
        customer = locked.customer
        address = reading.address_on_file(customer, entry) if customer else None
    if address:
        mail_outcome(address, locked, reason)
    return locked


def mail_outcome(address: str, data_request: DataRequest, reason: str = "", link: str = "") -> None:
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
    body = render_to_string("datarequests/request_outcome_mail.txt", context)
    send_mail(str(subject), body, None, [address])


class DueRequest(TypedDict):
    """An open, verified data request as plain facts for the home page."""

    id: uuid.UUID
    reference: str
    kind: str
    kind_label: str
    step: str
    step_label: str
    due_on: date
    days_left: int
    warned: bool
    overdue: bool
    days_overdue: int


def requests_due_for(user: User) -> list[DueRequest]:
    """The open, verified data requests ``user`` handles (owner, manager), soonest due
    first, as plain facts for the home page: no personal data, nothing to decrypt."""
    if not user.has_perm("datarequests.change_datarequest"):
        return []
    queue = DataRequest.objects.filter(
        step__in=(DataRequest.Step.IDENTITY_CONFIRMED, DataRequest.Step.IN_PROGRESS)
    ).only("id", "reference", "kind", "step", "identity_confirmed_at")
    facts: list[DueRequest] = [
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


def erase_for_request(request: AuthenticatedHttpRequest, data_request: DataRequest) -> DataRequest:
    """Answer an open deletion or stop-of-use request by erasing the linked customer's
    personal data for good: consent withdrawn, the customer's other requests forgotten
    too, the request done; the customer is told at the address on file, read before it
    is erased. Raises ValueError for a request that cannot be answered this way.

    Two entries: the request's step, and the erasure (which covers the consents, links
    and requests of the customer it erases too)."""
    with transaction.atomic(), recorded_by_caller() as saves:
        locked = DataRequest.objects.select_for_update().get(pk=data_request.pk)
        customer = locked.customer if locked.is_open and locked.asks_erasure else None
        if customer is None:
            raise ValueError("Only an open deletion or stop-of-use request of a customer.")
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
            detail={"step": locked.step, "kind": locked.kind, "fields": saves.fields()},
        )
        address = reading.address_on_file(customer, entry)
        withdrawn = withdraw_consent(customer)
        forget_requests_of(customer)
        detail = {"request": locked.reference, "kind": locked.kind, "consents_withdrawn": withdrawn}
        erase_customer(request, customer, detail=detail)
    if address:
        mail_outcome(address, locked)
    return locked


def forget_requests_of(customer: Customer) -> None:
    """Erase what the customer typed into any of their requests, and the per-address
    limit's counter, which is keyed by their address's digest."""
    for data_request in DataRequest.objects.filter(customer=customer):
        if data_request.email_digest:
            limits.DATA_REQUESTS_PER_ADDRESS.clear(("email", data_request.email_digest))
        data_request.forget_contact()


class ShopLook(TypedDict):
    """One look at a customer's data by the shop: by which role, when, what, why."""

    at: datetime
    role: str
    action: str
    reason: str


class Disclosure(TypedDict):
    """A customer's answer to their disclosure request."""

    reference: str
    prepared_at: datetime
    profile: dict[str, str]  # every personal field
    purchases: list[dict[str, Any]]  # every purchase, sensitive ones included
    consents: list[ConsentFacts]
    provisions: list[ProvisionFacts]
    looks: list[ShopLook]


def open_disclosure(request: HttpRequest, link: DisclosureLink) -> Disclosure | None:
    """Spend a disclosure link (under its row lock) and return the customer's answer:
    their profile, purchases, consent history, the third-party provision records about
    them and who at the shop looked at their data; None for a used or expired link,
    changing nothing."""
    with transaction.atomic(), recorded_by_caller() as saves:
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
            detail={"reference": data_request.reference, "fields": saves.fields()},
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


def shop_looks(customer: Customer) -> list[ShopLook]:
    """Who at the shop looked at or worked with the customer's data, when and why, from
    the ledger: the person's role (not their name), the time, the action and the reason
    they gave. Entries that name other customers too (a list page) say nothing of them."""
    named = naming(str(customer.pk))
    entries = AuditEntry.objects.filter(named, actor_id__isnull=False).order_by("seq")
    return [
        {
            "at": entry.created_at,
            "role": str(role_label(entry.actor_role) or ""),
            "action": str(action_label(entry.action)),
            "reason": str((entry.detail or {}).get("reason", "")),
        }
        for entry in entries.only("created_at", "actor_role", "action", "detail")
    ]
