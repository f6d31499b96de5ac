"""Customer actions that write an audit record together with their work: reveal, search,
anonymise. Views call these; nothing else decrypts a value for a person to see."""

import re
import secrets
import unicodedata

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit import ledger
from audit.actions import Action, Outcome
from customers.models import PERSONAL_FIELDS, Customer, Purchase
from shopguard import limits
from shopguard.blind_index import INDEX_HEX_CHARS, full_digest
from shopguard.roles import STAFF, has_role

REVEAL = Action.CUSTOMER_REVEAL
SEARCH_SESSION_KEY = "customer_searches"
SEARCH_TOKEN_VAR = "s"
# A person rarely runs more than a few searches in a row; older tokens simply expire.
SEARCHES_KEPT = 10
_PHONE_LIKE = re.compile(r"\+?[0-9()\-\s]{6,}")


class RevealQuotaExceeded(Exception):
    """A staff member has used up this hour's reveals."""

    message = _(
        "1時間あたりの表示回数の上限に達しました。しばらくしてから再度お試しいただくか、"
        "店長に依頼してください。"
    )


# Reveals ------------------------------------------------------------------------------


def _reveal(request, obj, field, reason, customer):
    value = getattr(obj, field)  # decrypt first: a value that fails records no reveal
    with transaction.atomic():
        # Counted under the person's limit lock, in the transaction of the reveal's record.
        allowed = not has_role(request.user, STAFF) or limits.STAFF_REVEALS.take(request.user.pk)
        ledger.record(
            REVEAL,
            request=request,
            outcome=Outcome.OK if allowed else Outcome.REFUSED,
            target=obj,
            customers=[customer.pk],
            detail={"field": field, "reason": reason}
            if allowed
            else {"field": field, "reason_code": "quota"},
        )
    if not allowed:
        raise RevealQuotaExceeded
    return value


def reveal_field(request, customer, field, reason):
    """Return the plaintext of one personal field of ``customer`` and record who, why.

    Raises RevealQuotaExceeded (after recording the refusal) when staff are over quota.
    """
    if field not in PERSONAL_FIELDS:
        raise ValueError(f"{field!r} is not a personal field of a customer.")
    value = _reveal(request, customer, field, reason, customer)
    if field == "gender":
        return customer.get_gender_display()
    return value


def reveal_product_name(request, purchase, reason):
    """Return a purchase's product name and record it as a reveal of its customer."""
    return _reveal(request, purchase, "product_name", reason, purchase.customer)


# Search -------------------------------------------------------------------------------


def search_kind(term):
    """Which blind index an exact search term belongs to: email, phone or name."""
    text = unicodedata.normalize("NFKC", term).strip()
    if "@" in text:
        return "email"
    if _PHONE_LIKE.fullmatch(text) and sum(ch.isdigit() for ch in text) >= 6:
        return "phone"
    return "name"


def remember_search(request, term):
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
    searches[token] = {"kind": kind, "digest": digest}
    request.session[SEARCH_SESSION_KEY] = dict(list(searches.items())[-SEARCHES_KEPT:])
    return token


def recalled_search(request):
    """The search named by the URL's token: {'kind', 'digest'}, or None (no or old token)."""
    token = request.GET.get(SEARCH_TOKEN_VAR)
    if not token:
        return None
    return request.session.get(SEARCH_SESSION_KEY, {}).get(token)


def matching_customers(queryset, kind, digest):
    """Customers whose ``kind`` value equals the searched one, without a scan.

    One indexed query finds the candidates sharing the short blind index; only those are
    decrypted, and candidates whose full digest differs (false matches) are dropped.
    """
    index_field = f"{kind}_index"
    # No ORDER BY: the candidates are one or two rows, and sorting them by the model's
    # default order would only make the database sort what the index already found.
    candidates = queryset.filter(**{index_field: digest[:INDEX_HEX_CHARS]}).order_by()
    candidates = candidates.only("id", kind)
    matches = [c.pk for c in candidates if full_digest(kind, getattr(c, kind)) == digest]
    return queryset.filter(pk__in=matches)


# Anonymising and deleting -------------------------------------------------------------


def anonymise_customer(request, customer):
    """Overwrite the customer's personal data with placeholders and record it."""
    with transaction.atomic():
        customer.anonymise()
        ledger.record(
            Action.CUSTOMER_ANONYMISE,
            request=request,
            target=customer,
            customers=[customer.pk],
            detail={"purchases_kept": customer.purchases.count()},
        )


def record_deletion(request, obj):
    """Record the deletion of a customer or purchase (called inside the delete transaction)."""
    customer_id = obj.pk if isinstance(obj, Customer) else obj.customer_id
    detail = {"purchases": obj.purchases.count()} if isinstance(obj, Customer) else {}
    action = Action.CUSTOMER_DELETE if isinstance(obj, Customer) else Action.PURCHASE_DELETE
    ledger.record(action, request=request, target=obj, customers=[customer_id], detail=detail)


def visible_purchases(user, customer):
    """(the customer's purchases ``user`` may see, how many sensitive ones are hidden)."""
    shown = list(Purchase.objects.visible_to(user).filter(customer=customer))
    hidden = 0
    if not user.has_perm("customers.view_sensitive_purchase"):
        hidden = customer.purchases.filter(category__sensitive=True).count()
    return shown, hidden
