"""The one reading path: every look at customers' personal data, recorded as it is read.

Views, admin classes, exports and data-request handling read personal values only
through these functions. Each writes its ledger entry in the same transaction as the read
and opens a read scope (``vault.reads``) covering exactly the customers that entry
names, so that a decryption of anyone else's data, or outside any scope, is an
unrecorded read: an error under tests and DEBUG, a ledger entry of its own in production.

* ``list_page``: a list page of customers or purchases (``customer.list``, ids shown).
* ``object_page``: one customer's, purchase's or data request's page (``customer.view``
  or the caller's action), built and rendered inside the scope.
* ``reveal_field``, ``reveal_product_name``, ``reveal_customers_row_value`` (a gift
  shipment's recipient), ``reveal_linked_value``: one value, with its reason
  (``customer.reveal``, or the caller's action for a data request).
* ``matching_customers``: exact search through the blind index.
* ``export_rows``: every customer's exportable fields, for the archive writer; the ids
  it gave are what the download's ledger entry names.
* ``address_on_file`` and ``keep_previous_contact``: where a customer's own requests
  are answered, and the previous e-mail or phone kept sealed when the shop changes one
  (``customer.contact_change``).
* ``recorded_rows``: the customers of a shipping-label file and their shipments,
  recorded as the file's entry before anything is read.
"""

import uuid
from contextlib import contextmanager, nullcontext
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.reauth import SAFE_METHODS, recently_reauthenticated
from accounts.reauth import SESSION_KEY as REAUTH_SESSION_KEY
from audit import changes, ledger
from audit.actions import Action, Outcome
from audit.display import join_words
from customers.fields import label
from customers.models import PERSONAL_FIELDS, Customer, PreviousContact
from customers.services import (
    REVEAL_WITHOUT_QUOTA,
    RevealNeedsReauthentication,
    RevealQuotaExceeded,
)
from vault import limits
from vault.blind_index import INDEX_HEX_CHARS, full_digest
from vault.mail import send_mail
from vault.reads import bulk_read, recorded_read

REVEAL = Action.CUSTOMER_REVEAL


def customer_ids_of(objects):
    """The customers ``objects`` belong to (a customer itself, or its ``customer_id``)."""
    ids = (obj.pk if isinstance(obj, Customer) else obj.customer_id for obj in objects)
    return list(dict.fromkeys(i for i in ids if i is not None))


# Pages -------------------------------------------------------------------------------


def work_transaction(request):
    """The transaction a page's reading runs in: one for a request that changes
    something (its reads, their entries and its writes commit together), none for a
    page that only looks. A look's entry then commits on its own, before any value is
    read, and the page is built and rendered outside any transaction: on SQLite a
    transaction takes the database's one write lock at its start (settings:
    ``transaction_mode``), which would make every other request wait for the whole
    page. An entry whose page then fails to render stays: the ledger may say more than
    was seen, never less."""
    return transaction.atomic() if request.method not in SAFE_METHODS else nullcontext()


@contextmanager
def list_page(request, rows, *, model_name, search_kind=None):
    """Record a list page showing ``rows``, then let their values be read (and the page
    rendered) inside the block; in the caller's transaction if there is one (a page
    that only looks has none: ``work_transaction``)."""
    entry = ledger.record(
        Action.CUSTOMER_LIST,
        request=request,
        customers=customer_ids_of(rows),
        detail={"model": model_name, "search": search_kind or "none", "shown": len(rows)},
    )
    with recorded_read(entry.customer_ids, entry=entry):
        yield entry


class ObjectPage:
    """One object's page (customer, purchase, data request) while it is built.

    Only the object's customer, and the object itself, may be decrypted inside the block;
    ``shown(obj)`` records that the page was shown (the caller decides when it was: a
    rendered page, not a redirect after a save, which its own entry records).
    """

    def __init__(self, request, label, object_id, customer_id, action):
        self.request, self.action, self.entry = request, action, None
        self.customers = [customer_id] if customer_id else []
        self.rows = [(label, object_id)]

    def shown(self, obj):
        """Record the look at ``obj`` (once per page)."""
        if self.entry is None:
            self.entry = ledger.record(
                self.action, request=self.request, target=obj, customers=self.customers
            )
        return self.entry


@contextmanager
def object_page(request, model, object_id, *, action=Action.CUSTOMER_VIEW):
    """Context manager around building and rendering one object's page: yields an
    ``ObjectPage``, inside a read scope covering that object and, for a request that
    changes something, one transaction (``work_transaction``)."""
    object_id = _canonical(object_id)
    customer_id = _customer_of(model, object_id) if object_id else None
    page = ObjectPage(request, model._meta.label_lower, object_id, customer_id, action)
    with work_transaction(request), recorded_read(page.customers, rows=page.rows):
        yield page


def _canonical(object_id):
    try:
        return str(uuid.UUID(str(object_id)))
    except ValueError:
        return None  # not a row's id: the page will be a 404, reading nothing


def _customer_of(model, object_id):
    if model is Customer:
        return object_id
    try:
        found = model._default_manager.filter(pk=object_id).values_list("customer_id", flat=True)
        return next(iter(found), None)
    except ValidationError:
        return None


# Reveals -----------------------------------------------------------------------------


def _reveal(request, obj, field, reason, customer):
    with recorded_read([customer.pk]):
        value = getattr(obj, field)  # decrypt first: a value that fails records no reveal
    with transaction.atomic():
        # Counted under the person's limit lock, in the transaction of the reveal's record.
        if request.user.has_perm(REVEAL_WITHOUT_QUOTA):
            allowed, refusal, past_guide = _within_guide(request)
        else:
            allowed, refusal, past_guide = (
                limits.STAFF_REVEALS.take(request.user.pk),
                "quota",
                False,
            )
        detail = (
            {"field": field, "reason": reason}
            if allowed
            else {"field": field, "reason_code": refusal}
        )
        if past_guide:
            detail["past_guide"] = True
        ledger.record(
            REVEAL,
            request=request,
            outcome=Outcome.OK if allowed else Outcome.REFUSED,
            target=obj,
            customers=[customer.pk],
            detail=detail,
        )
    if not allowed:
        raise RevealQuotaExceeded if refusal == "quota" else RevealNeedsReauthentication
    return value


def _within_guide(request):
    """(allowed, refusal reason code, past the guide) for an owner's or manager's reveal:
    within the hour's guide it passes; past it, only within the batch of a fresh
    re-authentication (each confirmation gives one batch)."""
    if limits.ELEVATED_REVEALS.take(request.user.pk):
        return True, "", False
    stamp = request.session.get(REAUTH_SESSION_KEY)
    if not recently_reauthenticated(request):
        return False, "reauth", True
    return limits.ELEVATED_REVEAL_BATCHES.take((request.user.pk, stamp)), "reauth", True


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


def reveal_customers_row_value(request, obj, field, reason):
    """Return one sealed value of ``obj``, a row of a customer's (``obj.customer``: a
    gift shipment's recipient), as a reveal of that customer: the same reason, quota and
    ``customer.reveal`` entry (naming the row and the field) as the customer's own values."""
    return _reveal(request, obj, field, reason, obj.customer)


def reveal_linked_value(request, obj, field, reason, *, action):
    """Return one encrypted value of ``obj``, a row that may be linked to a customer
    (``obj.customer_id``, e.g. a data request), recording ``action`` with the reason and
    the linked customer."""
    customers = [obj.customer_id] if obj.customer_id else []
    with transaction.atomic():
        with recorded_read(customers, rows=[(obj._meta.label_lower, obj.pk)]):
            value = getattr(obj, field)
        ledger.record(
            action,
            request=request,
            target=obj,
            customers=customers,
            detail={"field": field, "reason": reason},
        )
    return value


def reason_check_values(obj, fields=("email", "phone", "address", "card_token"), names=None):
    """The values of ``obj`` (a customer by default) and the parts of its ``names``, which
    a reveal reason must not contain (decrypted to check the reason, never shown)."""
    names = ("name", "name_kana") if names is None else names
    with bulk_read("reason_check"):
        values = [getattr(obj, f) for f in fields]
        for field in names:
            full = getattr(obj, field) or ""
            values += [full, *full.split()]
    return values


# Search ------------------------------------------------------------------------------


def matching_customers(queryset, kind, digest):
    """Customers whose ``kind`` value equals the searched one, without a scan.

    One indexed query finds the candidates sharing the short blind index; only those are
    decrypted, and candidates whose full digest differs (false matches) are dropped. The
    matches are then read by the list page that shows them (``list_page``).
    """
    index_field = f"{kind}_index"
    # No ORDER BY: the candidates are one or two rows, and sorting them by the model's
    # default order would only make the database sort what the index already found.
    candidates = queryset.filter(**{index_field: digest[:INDEX_HEX_CHARS]}).order_by()
    candidates = candidates.only("id", kind)
    with bulk_read("search_match"):
        matches = [c.pk for c in candidates if full_digest(kind, getattr(c, kind)) == digest]
    return queryset.filter(pk__in=matches)


# Exports -----------------------------------------------------------------------------

# Rows fetched per database round trip while writing an archive: memory stays flat.
EXPORT_CHUNK_ROWS = 2000


def export_rows(fields, *, carried, using=None, customer_ids=None):
    """Every customer's ``fields`` (or only ``customer_ids``'s, in that order), as
    ``(id, [values])``; each id given is appended to ``carried`` for the download's ledger
    entry, which must name them all.

    Reads in bulk (``bulk_read("export_archive")``) only while the caller iterates; an
    export is recorded by its download entry (``exports.services.claim_download``).
    """
    with bulk_read("export_archive"):
        for customer in _export_customers(fields, using, customer_ids):
            carried.append(customer.pk)
            yield customer.pk, [getattr(customer, f) for f in fields]


@contextmanager
def recorded_rows(customer_ids, *, action, target, detail=None, request=None, actor=None):
    """Read ``customer_ids``' rows, and rows linked to them (a shipment's sealed
    recipient), inside the block: recorded first as one ``action`` entry naming every one
    of them, in the caller's transaction. Yields the entry. Used by the label files,
    whose entry is what "この顧客を見た人" shows."""
    ids = [str(pk) for pk in customer_ids]
    entry = ledger.record(
        action, request=request, actor=actor, target=target, customers=ids, detail=detail
    )
    with recorded_read(ids, entry=entry):
        yield entry


def customer_values(fields, customer_ids, *, using=None):
    """{customer id (a UUID): [values of ``fields``]} of ``customer_ids``, read in chunks
    inside the caller's read scope (a label file's ``recorded_rows``, or ``label_check``):
    it opens none of its own, so nobody outside that scope is decrypted."""
    queryset = Customer.objects.using(using).only("id", *fields)
    ids = list(customer_ids)
    found = {}
    for start in range(0, len(ids), EXPORT_CHUNK_ROWS):
        for customer in queryset.filter(pk__in=ids[start : start + EXPORT_CHUNK_ROWS]):
            found[customer.pk] = [getattr(customer, f) for f in fields]
    return found


@contextmanager
def label_check():
    """Inside the block, shipments' recipients may be decrypted to check that they fit a
    carrier's layout (``bulk_read("label_check")``): the result names fields, never
    values, so it is not a look at anyone's data."""
    with bulk_read("label_check"):
        yield


# Notices -----------------------------------------------------------------------------


def notice_addresses(request, customer_ids, *, action, target):
    """{customer id: e-mail address} of ``customer_ids`` for notices mailed to each of
    them (an incident's), recorded as one ``action`` entry naming every customer."""
    ids = [str(pk) for pk in customer_ids]
    if not ids:
        return {}
    with transaction.atomic():
        entry = ledger.record(
            action, request=request, target=target, customers=ids, detail={"field": "email"}
        )
        with recorded_read(entry.customer_ids, entry=entry):
            found = Customer.objects.filter(pk__in=ids).only("id", "email")
            return {str(customer.pk): customer.email or "" for customer in found}


def _export_customers(fields, using, customer_ids):
    queryset = Customer.objects.using(using).only("id", *fields)
    if customer_ids is None:
        yield from queryset.order_by("created_at", "id").iterator(chunk_size=EXPORT_CHUNK_ROWS)
        return
    # A chunk of ids per query: memory stays flat and no query exceeds the parameter limit.
    for start in range(0, len(customer_ids), EXPORT_CHUNK_ROWS):
        chunk = customer_ids[start : start + EXPORT_CHUNK_ROWS]
        found = {str(c.pk): c for c in queryset.filter(pk__in=chunk)}
        yield from (found[str(pk)] for pk in chunk if str(pk) in found)


def export_purchase_rows(customer_ids, purchases, *, using=None):
    """The ``purchases`` (a Purchase queryset) of exported customers, as
    ``(customer id, date, category code, amount, product name)``, customer by customer.

    Called while the archive's customers are written under the same download entry, which
    names every customer these purchases belong to.
    """
    purchases = purchases.using(using).select_related("category").order_by()
    with bulk_read("export_archive"):
        for start in range(0, len(customer_ids), EXPORT_CHUNK_ROWS):
            chunk = customer_ids[start : start + EXPORT_CHUNK_ROWS]
            rows = purchases.filter(customer_id__in=chunk).order_by("customer_id", "purchased_on")
            for p in rows.iterator(chunk_size=EXPORT_CHUNK_ROWS):
                yield p.customer_id, p.purchased_on, p.category.code, p.amount, p.product_name


def unencodable_counts(fields, customer_ids, encoding):
    """{field: how many customers' values ``encoding`` cannot hold}, before a request is
    made (a value is checked, never shown: an internal read)."""
    counts = {}
    with bulk_read("export_check"):
        for customer in _export_customers(fields, None, customer_ids):
            for field in fields:
                try:
                    (getattr(customer, field) or "").encode(encoding)
                except UnicodeEncodeError:
                    counts[field] = counts.get(field, 0) + 1
    return counts


# Data requests -------------------------------------------------------------------------


def customer_holding(kind, digest):
    """The customer whose ``kind`` value has the full ``digest`` (a data request's typed
    address), or None: one indexed query, only the candidates decrypted."""
    candidates = Customer.objects.filter(**{f"{kind}_index": digest[:INDEX_HEX_CHARS]}).order_by()
    with bulk_read("search_match"):
        return next((c for c in candidates if full_digest(kind, getattr(c, kind)) == digest), None)


def address_on_file(customer, entry):
    """The e-mail address the customer's own requests are answered at, read under
    ``entry`` (the ledger entry of the data request whose code or answer it receives):
    the one on file before any change made at the shop within the hold period
    (``PreviousContact``), else the one on file now; "" when there is none. For no
    customer (an unknown typed address) the same query runs and None comes back, so a
    request's work does not tell who is a customer."""
    held = PreviousContact.objects.filter(
        customer_id=customer.pk if customer is not None else NO_CUSTOMER,
        field=PreviousContact.Field.EMAIL,
        changed_at__gt=timezone.now() - contact_hold(),
    ).first()
    if customer is None:
        return None
    with recorded_read([customer.pk], entry=entry):
        return held.value if held is not None else customer.email


# An id no customer has: what address_on_file looks up for an unknown typed address.
NO_CUSTOMER = uuid.UUID(int=0)


# Contact changes -----------------------------------------------------------------------

# What the shop may reach a customer at: a change of either is kept (PreviousContact).
CONTACT_FIELDS = (PreviousContact.Field.EMAIL, PreviousContact.Field.PHONE)


def contact_hold():
    return timedelta(days=settings.SHOPGUARD_CONTACT_CHANGE_HOLD_DAYS)


def keep_previous_contact(request, customer, typed, actor=None):
    """Before ``customer`` (with new values set, not yet saved) is saved: for each
    contact field among ``typed`` (the fields typed into the form) whose value really
    changes, record a ``customer.contact_change`` entry, keep the stored value sealed
    (``PreviousContact``) and, after the commit, tell the address on file before the
    change. Call it inside the save's transaction and ``recorded_by_caller()`` block.
    ``actor`` names the person where there is no request (an import from the command
    line). Returns the changed fields."""
    stored = Customer.objects.get(pk=customer.pk)
    changed = [
        field
        for field in CONTACT_FIELDS
        if field in typed
        and full_digest(field, getattr(customer, field))[:INDEX_HEX_CHARS]
        != getattr(stored, f"{field}_index")
    ]
    if not changed:
        return []
    with changes.recorded_by_caller() as saves:
        saves.fields()  # the customer's own fields are named by the save's entry
        entry = ledger.record(
            Action.CUSTOMER_CONTACT_CHANGE,
            request=request,
            actor=actor,
            target=customer,
            customers=[customer.pk],
            detail={"fields": changed},
        )
        expired = timezone.now() - contact_hold()
        stored.previous_contacts.filter(changed_at__lte=expired).delete()
        with recorded_read([customer.pk], entry=entry):
            for field in changed:
                PreviousContact.objects.create(
                    customer=stored,
                    field=field,
                    value=getattr(stored, field),
                    changed_at=entry.created_at,
                    changed_by=actor or (request.user if request is not None else None),
                )
        notice_to = address_on_file(stored, entry)
        saves.fields()  # kept under this entry, not named by the customer's
    if notice_to:
        transaction.on_commit(lambda: mail_contact_changed(notice_to, changed))
    return changed


def mail_contact_changed(address, fields):
    """Tell the customer, at the address on file before the change, that their contact
    details were changed at the shop: which kinds, never the values."""
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "fields": join_words(label(field) for field in fields),
            "days": settings.SHOPGUARD_CONTACT_CHANGE_HOLD_DAYS,
        }
        subject = gettext("ご登録の連絡先の変更のお知らせ")
        body = render_to_string("customers/contact_changed_mail.txt", context)
    send_mail(subject, body, None, [address])


def own_data(customer, *, action, target, detail=None, request=None):
    """Everything the shop holds about ``customer``, for answering their own disclosure
    request: every personal field and every purchase (sensitive ones included: it is their
    own), recorded as one ``action`` entry naming them (``target``: the request)."""
    with transaction.atomic():
        entry = ledger.record(
            action, request=request, target=target, customers=[customer.pk], detail=detail
        )
        with recorded_read([customer.pk], entry=entry):
            profile = {field: getattr(customer, field) for field in PERSONAL_FIELDS}
            profile["gender"] = customer.get_gender_display()
            purchases = [
                {
                    "purchased_on": purchase.purchased_on,
                    "category": str(purchase.category),
                    "sensitive": purchase.category.sensitive,
                    "product_name": purchase.product_name,
                    "amount": purchase.amount,
                }
                for purchase in customer.purchases.select_related("category")
            ]
    return profile, purchases
