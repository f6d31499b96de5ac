"""Exports: the one way customer data leaves ShopGuard, as an AES-256 archive.

A request names its purpose, its recipient, the customers (``ExportRequest.Scope``) and
fields it needs, purchases if wanted, and the encoding. It always waits for a second
person: an active owner who did not ask. Only where the asking owner is the shop's sole
privileged person (nobody else active may ask for an export: ``accounts.rules``) may
they approve it themselves, after confirming their password and typing
``SELF_APPROVAL_SENTENCE``; the export is then marked self-approved wherever it is
listed. The person who asked downloads it once, within 24 hours of the approval
(``exports.models.DOWNLOAD_WINDOW``), after re-authentication; after that it is expired
(decided by ``ExportRequest.is_due_to_expire``, which lists what asks it). The steps
themselves are ``ExportRequest``'s methods; this module checks who may take them and
writes every step, and every refused step, to the ledger in the same transaction.

The archive is built at download time into an unnamed temporary file and handed out
from there; nothing of an export is ever kept on disk, so expiry has nothing to delete.
"""

import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO, NamedTuple, NoReturn, TypedDict

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import rules
from audit.actions import Action, Outcome
from audit.ledger import record
from customers import reading
from customers.fields import EXPORTABLE_FIELDS, PROVISION_ITEMS, label
from customers.models import Category, Customer, Purchase
from customers.services import RecalledSearch
from exports.archive import sha256_of, write_archive
from exports.models import ExportRequest
from policy.services import customers_excluded_from_third_party
from vault.log import looks_personal

Status, Scope = ExportRequest.Status, ExportRequest.Scope
# Which fields may leave (EXPORTABLE_FIELDS, card data never) and their items in the
# provision record (PROVISION_ITEMS) are declared with each field in customers.fields.
PERSONAL_PURPOSE_MESSAGE = gettext_lazy(
    "利用目的にメールアドレスや電話番号などの個人情報を書かないでください。"
)
# Typed, not ticked: a self-approval is a decision the owner states in words.
SELF_APPROVAL_SENTENCE = gettext_lazy("私が一人で承認します")


class ExportRefused(Exception):
    """A step on an export was refused (and recorded); ``message`` says why, for a page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Problem(NamedTuple):
    """Why a step on an export may not be taken now."""

    reason: str  # a code, for the ledger
    message: str  # a sentence, for the page


def refuse(
    action: Action,
    user: User,
    reason: str,
    message: str,
    *,
    export: ExportRequest | None = None,
    request: HttpRequest | None = None,
) -> NoReturn:
    """Record a refused step (outcome refused, the reason as a code) and raise."""
    record(
        action,
        request=request,
        actor=user,
        outcome=Outcome.REFUSED,
        target=export if export is not None else ("exports.exportrequest", ""),
        detail={"reason": reason},
    )
    raise ExportRefused(message)


# Requests ----------------------------------------------------------------------------


def scope_customer_ids(
    scope: str,
    *,
    selected: Iterable[str] = (),
    search: RecalledSearch | None = None,
    purchases: QuerySet[Purchase] | None = None,
) -> list[str] | None:
    """The customers a request names, oldest first (None for all); refuses an empty set.

    ``selected``: ids chosen in the customer list; ``search``: the recalled exact search
    ({'kind', 'digest'}); ``purchases``: a Purchase queryset (date range, categories).
    """
    if scope == Scope.ALL:
        return None
    queryset = Customer.objects.order_by("created_at", "id")
    if scope == Scope.SELECTED:
        queryset = queryset.filter(pk__in=list(selected))
    elif scope == Scope.SEARCH and search is not None:
        queryset = reading.matching_customers(queryset, search["kind"], search["digest"])
        queryset = queryset.order_by("created_at", "id")
    elif scope == Scope.PURCHASES and purchases is not None:
        queryset = queryset.filter(pk__in=purchases.values("customer_id"))
    else:
        raise ValidationError(_("対象の顧客の指定が正しくありません。"), code="scope")
    ids = [str(pk) for pk in queryset.values_list("pk", flat=True)]
    if not ids:
        raise ValidationError(_("対象の顧客が0人です。"), code="empty")
    return ids


def purchases_in(
    *,
    purchases_from: date | None = None,
    purchases_to: date | None = None,
    categories: Collection[str] = (),
    sensitive: bool = False,
) -> QuerySet[Purchase]:
    """Purchases in the date range and categories (sensitive ones only if asked)."""
    queryset: QuerySet[Purchase] = Purchase.objects.in_period(purchases_from, purchases_to)
    if categories:
        queryset = queryset.filter(category__code__in=list(categories))
    if not sensitive:
        queryset = queryset.filter(category__sensitive=False)
    return queryset


def check_request(
    *,
    purpose: str,
    fields: Collection[str],
    categories: Collection[str] = (),
    include_sensitive: bool = False,
) -> None:
    """Refuse unknown fields or categories, a purpose holding personal data, and a
    sensitive category not ticked explicitly."""
    if not fields or set(fields) - set(EXPORTABLE_FIELDS):
        raise ValidationError(_("エクスポートできる項目を1つ以上選んでください。"), code="fields")
    known = set(Category.objects.filter(code__in=list(categories)).values_list("code", flat=True))
    if set(categories) - known:
        raise ValidationError(_("存在しないカテゴリが指定されています。"), code="categories")
    if not include_sensitive and Category.objects.filter(code__in=known, sensitive=True).exists():
        raise ValidationError(
            _("要配慮カテゴリを選ぶには「要配慮カテゴリの購入を含める」を選んでください。"),
            code="sensitive",
        )
    if looks_personal(purpose):
        raise ValidationError(PERSONAL_PURPOSE_MESSAGE, code="purpose")


def unencodable_problems(
    fields: Sequence[str], customer_ids: Sequence[str] | None, encoding: str
) -> list[str]:
    """Messages naming, by field and count, values ``encoding`` cannot hold."""
    if encoding == ExportRequest.Encoding.UTF8:
        return []
    counts = reading.unencodable_counts(fields, customer_ids, encoding)
    return [
        _("%(field)s: %(count)d人の値はCP932で表せません。UTF-8を選んでください。")
        % {"field": label(field), "count": count}
        for field, count in counts.items()
    ]


def request_export(
    user: User,
    *,
    purpose: str,
    recipient: str,
    fields: Collection[str],
    customer_ids: list[str] | None = None,
    request: HttpRequest | None = None,
    **facts: Any,
) -> ExportRequest:
    """Create an export request (it waits for approval) for ``customer_ids`` (None: all).

    ``facts`` are the model's other fields: scope, purchase filters, include_purchases,
    include_sensitive, encoding and the recipient's facts (name, address, ...).
    """
    check_request(
        purpose=purpose,
        fields=fields,
        categories=facts.get("categories", ()),
        include_sensitive=facts.get("include_sensitive", False),
    )
    left_out = 0
    if recipient == ExportRequest.Recipient.THIRD_PARTY:
        kept = without_stopped_customers(customer_ids)
        customer_ids, left_out = kept.customer_ids, kept.left_out
    with transaction.atomic():
        count = Customer.objects.count() if customer_ids is None else len(customer_ids)
        export = ExportRequest.request(
            user,
            purpose=purpose,
            recipient=recipient,
            fields=[f for f in EXPORTABLE_FIELDS if f in fields],
            customer_ids=customer_ids,
            customer_count=count,
            **facts,
        )
        detail = {**_facts(export), "left_out": left_out} if left_out else _facts(export)
        record(Action.EXPORT_REQUEST, request=request, actor=user, target=export, detail=detail)
    export.left_out = left_out  # for the requester's message
    return export


class KeptCustomers(NamedTuple):
    """The customers a third-party export may still carry."""

    customer_ids: list[str] | None  # None: everyone
    left_out: int  # how many asked the shop to stop giving their data to third parties


def without_stopped_customers(customer_ids: list[str] | None) -> KeptCustomers:
    """``customer_ids`` (None: everyone) without the customers who asked the shop to stop
    giving their data to third parties (APPI art. 35), and how many were left out."""
    stopped = {str(pk) for pk in customers_excluded_from_third_party()}
    if not stopped:
        return KeptCustomers(customer_ids, left_out=0)
    if customer_ids is None:
        everyone = Customer.objects.order_by("created_at", "id").values_list("pk", flat=True)
        customer_ids = [str(pk) for pk in everyone]
    kept = [pk for pk in customer_ids if str(pk) not in stopped]
    return KeptCustomers(kept, left_out=len(customer_ids) - len(kept))


def refuse_request(
    user: User, error: ValidationError, *, request: HttpRequest | None = None
) -> None:
    """Record a refused request (the form's error codes, never what was typed)."""
    codes = sorted({e.code or "invalid" for e in getattr(error, "error_list", [error])})
    record(
        Action.EXPORT_REQUEST,
        request=request,
        actor=user,
        outcome=Outcome.REFUSED,
        target=("exports.exportrequest", ""),
        detail={"reason": ",".join(codes)[:200]},
    )


# Decisions ---------------------------------------------------------------------------


def decision_problem(
    export: ExportRequest, person: User, *, approve: bool, confirmation: str = ""
) -> Problem | None:
    """Why ``person`` may not decide ``export`` now, or None (the rules on someone else's
    and one's own request are ``accounts.rules``)."""
    if rules.in_cooling_off(person):
        return Problem(
            "cooling_off",
            _(
                "新しいオーナーは%(days)s日間、承認も却下もできません。他のオーナーに依頼してください。"
            )
            % {"days": settings.SHOPGUARD_NEW_OWNER_COOLING_OFF_DAYS},
        )
    own = rules.is_own(person, export.requested_by_id)
    if not own and not rules.may_second_check(person, export.requested_by_id):
        return Problem(
            "not_second_person",
            _("この申請を承認するのは、申請した人とは別のオーナー（いなければマネージャー）です。"),
        )
    if export.status != Status.PENDING:
        return Problem(
            "not_pending",
            _("この申請は%(status)sのため、承認も却下もできません。")
            % {"status": export.get_status_display()},
        )
    if own and not rules.may_self_approve(person):
        return Problem(
            "own_request",
            _("自分の申請は承認できません。ほかのオーナーかマネージャーの承認を待ってください。"),
        )
    if own and approve and confirmation.strip() != str(SELF_APPROVAL_SENTENCE):
        return Problem("no_confirmation", _("自己承認には確認の文を正しく入力してください。"))
    return None


def decide(
    export: ExportRequest,
    person: User,
    *,
    approve: bool,
    confirmation: str = "",
    request: HttpRequest | None = None,
) -> ExportRequest:
    """Approve or reject a pending request; the requester only as a one-owner shop's
    sole privileged person (self-approved). Anything else is refused and recorded."""
    action = Action.EXPORT_APPROVE if approve else Action.EXPORT_REJECT
    with transaction.atomic():
        locked = ExportRequest.objects.select_for_update().get(pk=export.pk)
        expire_if_due(locked, request=request)
        problem = decision_problem(locked, person, approve=approve, confirmation=confirmation)
        if problem is None:
            _decide(locked, person, approve=approve, request=request)
            return locked
    refuse(action, person, problem.reason, problem.message, export=export, request=request)


def _decide(
    export: ExportRequest, approver: User, *, approve: bool, request: HttpRequest | None
) -> None:
    # An approval by someone the requester created or promoted has no independent
    # second person either: it is flagged self-approved, and the entry says why.
    appointee = rules.appointed_by(approver, export.requested_by_id)
    if approve:
        export.approve(approver, appointee=appointee)
    else:
        export.reject(approver)
    detail = {"self_approved": export.self_approved, "customers": export.customer_count}
    if appointee:
        detail["appointed_by_requester"] = True
    record(
        Action.EXPORT_APPROVE if approve else Action.EXPORT_REJECT,
        request=request,
        actor=approver,
        target=export,
        detail=detail,
    )


def withdraw_or_cancel(
    export: ExportRequest, person: User, *, request: HttpRequest | None = None
) -> ExportRequest:
    """End a waiting request: withdrawn by the person who asked, cancelled by an owner
    (``accounts.rules.may_cancel_export``). Anything else is refused and recorded."""
    own = rules.is_own(person, export.requested_by_id)
    action = Action.EXPORT_WITHDRAW if own else Action.EXPORT_CANCEL
    with transaction.atomic():
        locked = ExportRequest.objects.select_for_update().get(pk=export.pk)
        problem = ending_problem(locked, person)
        if problem is None:
            if own:
                locked.withdraw()
            else:
                locked.cancel(person)
            record(
                action,
                request=request,
                actor=person,
                target=locked,
                detail={"customers": locked.customer_count, "scope": locked.scope},
            )
            return locked
    refuse(action, person, problem.reason, problem.message, export=export, request=request)


def ending_problem(export: ExportRequest, person: User) -> Problem | None:
    """Why ``person`` may not withdraw or cancel ``export`` now, or None."""
    own = rules.is_own(person, export.requested_by_id)
    if not own and not rules.may_cancel_export(person, export.requested_by_id):
        return Problem("not_allowed", _("取り消せるのは申請した本人とオーナーだけです。"))
    if export.status != Status.PENDING:
        return Problem(
            "not_pending",
            _("この申請は%(status)sのため、取り下げも取り消しもできません。")
            % {"status": export.get_status_display()},
        )
    return None


# Expiry ------------------------------------------------------------------------------


def expire_if_due(export: ExportRequest, *, request: HttpRequest | None = None) -> bool:
    """Expire ``export`` if it is due (``ExportRequest.is_due_to_expire``), and record it."""
    if not export.is_due_to_expire():
        return False
    export.expire()
    record(
        Action.EXPORT_EXPIRE,
        request=request,
        actor=None,
        target=export,
        detail={"self_approved": export.self_approved},
    )
    return True


def expire_due(*, request: HttpRequest | None = None) -> int:
    """Expire every export that is due, each under its row lock; return how many."""
    approved = ExportRequest.objects.filter(status=Status.APPROVED).only("status", "decided_at")
    expired = 0
    for export in approved:
        if export.is_due_to_expire():
            with transaction.atomic():
                locked = ExportRequest.objects.select_for_update().get(pk=export.pk)
                expired += expire_if_due(locked, request=request)
    return expired


# Downloads ---------------------------------------------------------------------------


def download_problem(export: ExportRequest, user: User) -> Problem | None:
    """Why ``user`` may not download ``export`` now, or None."""
    if not rules.is_own(user, export.requested_by_id):
        return Problem("not_requester", _("ダウンロードできるのは申請した本人だけです。"))
    if export.status == Status.DOWNLOADED:
        return Problem("downloaded", _("このエクスポートはすでにダウンロードされています。"))
    if export.status == Status.EXPIRED or export.is_due_to_expire():
        return Problem(
            "expired",
            _(
                "承認から24時間が過ぎたため期限切れです。ダウンロードできません。もう一度申請してください。"
            ),
        )
    if export.status != Status.APPROVED:
        return Problem("not_approved", _("このエクスポートは承認されていません。"))
    return None


def archive_purchases(export: ExportRequest) -> QuerySet[Purchase] | None:
    """The purchases an export's archive holds (None when it holds none)."""
    if not export.include_purchases:
        return None
    return purchases_in(
        purchases_from=export.purchases_from,
        purchases_to=export.purchases_to,
        categories=export.categories,
        sensitive=export.include_sensitive,
    )


def claim_download(
    export: ExportRequest,
    user: User,
    password: str,
    fileobj: BinaryIO,
    *,
    request: HttpRequest | None = None,
) -> ExportRequest:
    """Write the archive to ``fileobj`` and mark the export downloaded, in one transaction.

    The download is recorded only if the archive was written, and the archive is handed
    out only once its record is committed; a second claim finds the export downloaded
    and is refused. The entry names every customer the archive carried, so "who looked
    at this customer" shows the copy that left.
    """
    with transaction.atomic():
        locked = ExportRequest.objects.select_for_update().get(pk=export.pk)
        problem = download_problem(locked, user)
        if problem is None:
            return _write_and_record(locked, user, password, fileobj, request)
    if problem.reason == "expired":
        with transaction.atomic():
            expire_if_due(ExportRequest.objects.select_for_update().get(pk=export.pk))
    refuse(
        Action.EXPORT_DOWNLOAD,
        user,
        problem.reason,
        problem.message,
        export=export,
        request=request,
    )


def _write_and_record(
    export: ExportRequest,
    user: User,
    password: str,
    fileobj: BinaryIO,
    request: HttpRequest | None,
) -> ExportRequest:
    carried: list[uuid.UUID] = []  # every customer the archive holds: the download entry names them
    customer_ids = export.customer_ids
    if export.recipient == ExportRequest.Recipient.THIRD_PARTY:
        # Someone who asked to stop since the request was made is left out too.
        customer_ids = without_stopped_customers(customer_ids).customer_ids
    try:
        row_count = write_archive(
            fileobj,
            export.fields,
            password,
            carried=carried,
            customer_ids=customer_ids,
            purchases=archive_purchases(export),
            encoding=export.encoding,
            language=export.header_language,
        )
    except UnicodeEncodeError:
        raise ValidationError(
            _("CP932で表せない値があります。UTF-8で申請し直してください。")
        ) from None
    export.mark_downloaded(row_count=row_count, archive_sha256=sha256_of(fileobj))
    record(
        Action.EXPORT_DOWNLOAD,
        request=request,
        actor=user,
        target=export,
        customers=carried,
        detail=_facts(export),
    )
    if export.recipient == ExportRequest.Recipient.THIRD_PARTY:
        _record_provision(export, carried, request=request, actor=user)
    return export


def _record_provision(
    export: ExportRequest,
    carried: list[uuid.UUID],
    *,
    request: HttpRequest | None,
    actor: User,
) -> None:
    """Keep the third-party provision record for a downloaded third-party export."""
    from policy.services import record_provision

    record_provision(
        recipient_name=export.recipient_name,
        recipient_address=export.recipient_address,
        recipient_representative=export.recipient_representative,
        provided_on=timezone.localdate(),
        customers=carried,
        data_items=sorted({PROVISION_ITEMS[f] for f in export.fields}),
        basis=export.provision_basis,
        consent_evidence=export.consent_evidence,
        request=request,
        actor=actor,
    )


def _facts(export: ExportRequest) -> dict[str, object]:
    """Non-personal facts of an export for its ledger entries."""
    return {
        "fields": export.fields,
        "recipient": export.recipient,
        "scope": export.scope,
        "customers": export.customer_count,
        "purchases": export.include_purchases,
        "sensitive": export.include_sensitive,
        "encoding": export.encoding,
        "self_approved": export.self_approved,
        "rows": export.row_count,
        "purpose": export.purpose,
    }


def pending_for(user: User) -> QuerySet[ExportRequest]:
    """The export requests waiting on ``user``: requests they are the second person for
    (``accounts.rules.may_second_check``; their own too where they may self-approve),
    and, for whoever cannot approve, their own not yet approved or approved and not yet
    downloaded (with its state). Oldest first."""
    open_states = [ExportRequest.Status.PENDING, ExportRequest.Status.APPROVED]
    requests = ExportRequest.objects.select_related("requested_by").order_by("requested_at")
    pending = requests.filter(status=ExportRequest.Status.PENDING)
    if user.has_perm(rules.APPROVE_EXPORTS):
        return pending if rules.may_self_approve(user) else pending.exclude(requested_by=user)
    mine = Q(requested_by=user, status__in=open_states)
    checked = [
        pk
        for pk, requester in pending.exclude(requested_by=user).values_list("pk", "requested_by")
        if rules.may_second_check(user, requester)
    ]
    return requests.filter(mine | Q(pk__in=checked))


class Downloads(NamedTuple):
    """How many archives were downloaded in a period."""

    downloaded: int
    self_approved: int  # of them: the owner's own request, no second person looked at it


def downloads_since(since: datetime) -> Downloads:
    """How many archives were downloaded since ``since``, and how many of them were
    self-approved (the owner's own request: no second person looked at it)."""
    downloaded = ExportRequest.objects.filter(downloaded_at__gte=since)
    self_approved = downloaded.filter(self_approved=True)
    return Downloads(downloaded=downloaded.count(), self_approved=self_approved.count())


# For the home page and the take-out ledger -------------------------------------------


class ExportFacts(TypedDict):
    """An export request as plain facts: nothing to decrypt, no personal data."""

    id: str
    status: str
    status_label: str
    requested_by: str
    decided_by: str
    self_approved: bool
    purpose: str
    recipient: str
    customer_count: int
    requested_at: datetime
    decided_at: datetime | None
    downloaded_at: datetime | None
    expired_at: datetime | None


def awaiting_approval_for(user: User) -> list[ExportFacts]:
    """Pending requests ``user`` may decide now, as plain facts (oldest first): the part
    of ``pending_for`` they are the second person for (or may self-approve)."""
    waiting = pending_for(user).filter(status=ExportRequest.Status.PENDING)
    if not user.has_perm(rules.APPROVE_EXPORTS):
        waiting = waiting.exclude(requested_by=user)
    return [_plain(export) for export in waiting]


def recent_exports(days: int = 30) -> list[ExportFacts]:
    """Exports requested in the last ``days`` days, newest first, as plain facts."""
    since = timezone.now() - timedelta(days=days)
    queryset = ExportRequest.objects.filter(requested_at__gte=since)
    return [_plain(e) for e in queryset.select_related("requested_by", "decided_by")]


def _plain(export: ExportRequest) -> ExportFacts:
    return {
        "id": str(export.pk),
        "status": export.status,
        "status_label": str(export.get_status_display()),
        "requested_by": export.requested_by.username,
        "decided_by": export.decided_by.username if export.decided_by else "",
        "self_approved": export.self_approved,
        "purpose": export.purpose,
        "recipient": str(export.get_recipient_display()),
        "customer_count": export.customer_count,
        "requested_at": export.requested_at,
        "decided_at": export.decided_at,
        "downloaded_at": export.downloaded_at,
        "expired_at": export.expired_at,
    }


def field_labels(export: ExportRequest) -> list[str]:
    """The export's fields as their Japanese labels (for approvers and the ledger)."""
    return [str(label(f)) for f in export.fields]


def includes_sensitive(export: ExportRequest) -> bool:
    """True when the archive would hold purchases in sensitive categories."""
    return export.include_purchases and export.include_sensitive
