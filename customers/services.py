"""Customer actions that write an audit record together with their work: the reveal quota,
search tokens, anonymise, deletion. Reading personal values is ``customers.reading``."""

import re
import secrets
import unicodedata
from typing import NamedTuple, TypedDict

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from audit import changes, ledger
from audit.actions import Action
from customers.models import Customer, Purchase
from vault import limits
from vault.blind_index import full_digest

REVEAL = Action.CUSTOMER_REVEAL
# Whoever may reveal without this permission (staff) has an hourly quota (limits.STAFF_REVEALS).
REVEAL_WITHOUT_QUOTA = "customers.reveal_without_quota"
SEARCH_SESSION_KEY = "customer_searches"
SEARCH_TOKEN_VAR = "s"
# A person rarely runs more than a few searches in a row; older tokens simply expire.
SEARCHES_KEPT = 10
_PHONE_LIKE = re.compile(r"\+?[0-9()\-\s]{6,}")
# Hiragana, katakana (with ー and the middle dot) and spaces: a reading, after NFKC.
_KANA_ONLY = re.compile(r"[\u3041-\u3096\u309d\u309e\u30a1-\u30fe\s]+")


class RevealQuotaExceeded(Exception):
    """A staff member has used up this hour's reveals."""

    message = _(
        "1時間あたりの表示回数の上限に達しました。しばらくしてから再度お試しいただくか、"
        "マネージャーに依頼してください。"
    )


class RevealNeedsReauthentication(Exception):
    """An owner or manager past this hour's guide (limits.ELEVATED_REVEALS) reveals the
    next batch only after confirming their password again."""


# Reveals ------------------------------------------------------------------------------


def reveals_left(user: User) -> int | None:
    """How many values ``user`` may still reveal this hour, or None when no quota applies
    (only those who reveal within one, staff, have one). Read without a lock: it is for
    the page, the reveal itself counts under the lock (``reading.reveal_field``)."""
    if not user.has_perm("customers.reveal_customer") or user.has_perm(REVEAL_WITHOUT_QUOTA):
        return None
    return limits.STAFF_REVEALS.left(user.pk)


# Search -------------------------------------------------------------------------------


def search_kind(term: str) -> str:
    """Which blind index an exact search term belongs to: email, phone, the reading (a
    term all in kana: hiragana, katakana or half-width) or name."""
    text = unicodedata.normalize("NFKC", term).strip()
    if "@" in text:
        return "email"
    if _PHONE_LIKE.fullmatch(text) and sum(ch.isdigit() for ch in text) >= 6:
        return "phone"
    if _KANA_ONLY.fullmatch(text):
        return "name_kana"
    return "name"


class RecalledSearch(TypedDict):
    """A search kept in the session: its kind and the full keyed digest of its term."""

    kind: str
    digest: str


def remember_search(request: HttpRequest, term: str) -> str | None:
    """Keep a search as a keyed digest in the session; return the token for the URL.

    Neither the term nor anything reversible is stored: only its kind and its full keyed
    digest, whose prefix is the blind index. Returns None for a term that is empty once
    normalised.
    """
    kind = search_kind(term)
    digest = full_digest(kind, term)
    if not digest:
        return None
    token = secrets.token_urlsafe(12)
    searches = request.session.get(SEARCH_SESSION_KEY, {})
    searches[token] = RecalledSearch(kind=kind, digest=digest)
    request.session[SEARCH_SESSION_KEY] = dict(list(searches.items())[-SEARCHES_KEPT:])
    return token


def recalled_search(request: HttpRequest) -> RecalledSearch | None:
    """The search named by the URL's token: {'kind', 'digest'}, or None (no or old token)."""
    token = request.GET.get(SEARCH_TOKEN_VAR)
    if not token:
        return None
    searches: dict[str, RecalledSearch] = request.session.get(SEARCH_SESSION_KEY, {})
    return searches.get(token)


# Anonymising and deleting -------------------------------------------------------------


def anonymise_customer(request: HttpRequest, customer: Customer) -> None:
    """Overwrite the customer's personal data with placeholders and record it (one entry
    for the customer and their purchases' product names)."""
    with transaction.atomic(), changes.recorded_by_caller() as saves:
        customer.anonymise()
        ledger.record(
            Action.CUSTOMER_ANONYMISE,
            request=request,
            target=customer,
            customers=[customer.pk],
            detail={"purchases_kept": customer.purchases.count(), "fields": saves.fields()},
        )


def erase_customer(request: HttpRequest, customer: Customer, *, detail: dict[str, object]) -> None:
    """Erase the customer's personal values for good (their deletion or stop-of-use
    request): the sealed record, the search indexes and the product names are
    overwritten, purchases keep category, amount and date for the tax records, and the
    ledger keeps the fact (``detail``: the request's reference and kind) without the data.

    Called inside the caller's transaction; once it commits, SQLite's write-ahead log is
    folded into the file and emptied, so the old pages are not left in it.
    """
    with changes.recorded_by_caller() as saves:
        customer.anonymise()
        ledger.record(
            Action.CUSTOMER_ERASE,
            request=request,
            target=customer,
            customers=[customer.pk],
            detail={
                **detail,
                "purchases_kept": customer.purchases.count(),
                "fields": saves.fields(),
            },
        )
    transaction.on_commit(fold_write_ahead_log)


def fold_write_ahead_log() -> None:
    """SQLite only: copy the write-ahead log into the database file and truncate it, so
    the pages an erasure replaced survive in neither (secure_delete zeroes freed space).
    A busy database simply leaves it to the next automatic checkpoint."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def record_deletion(request: HttpRequest, obj: Customer | Purchase) -> None:
    """Record the deletion of a customer or purchase (called inside the delete transaction,
    and inside ``recorded_by_caller()``: the entry covers the purchases deleted with a
    customer too)."""
    customer_id = obj.pk if isinstance(obj, Customer) else obj.customer_id
    detail = {"purchases": obj.purchases.count()} if isinstance(obj, Customer) else {}
    action = Action.CUSTOMER_DELETE if isinstance(obj, Customer) else Action.PURCHASE_DELETE
    ledger.record(action, request=request, target=obj, customers=[customer_id], detail=detail)


class VisiblePurchases(NamedTuple):
    """A customer's purchases as one person may see them."""

    shown: list[Purchase]
    hidden: int  # how many sensitive ones the person may not see


def visible_purchases(user: User, customer: Customer) -> VisiblePurchases:
    """The customer's purchases ``user`` may see, and how many sensitive ones are hidden."""
    shown = list(Purchase.objects.visible_to(user).filter(customer=customer))
    hidden = 0
    if not user.has_perm("customers.view_sensitive_purchase"):
        hidden = customer.purchases.filter(category__sensitive=True).count()
    return VisiblePurchases(shown=shown, hidden=hidden)
