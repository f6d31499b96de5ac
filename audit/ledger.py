"""The one way to write to the audit ledger: ``record()``.

Every sign-in, view, reveal, change, export and policy action calls ``record`` inside the
same transaction as the work it records. Entries hold ids, field names, action names and
reasons, never personal values.
"""

import json
from contextvars import ContextVar

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from audit import appearances
from audit.actions import Action, Outcome, checked
from audit.chain import CHAIN_FIELDS, Head, canonical_json, chain_value
from audit.models import AuditEntry, AuditHead
from vault.addresses import client_address
from vault.roles import role_of

HEAD_PK = 1
# How many entries this thread (or task) has written: audit.changes asks whether a block
# of saves wrote an entry of its own.
_written = ContextVar("audit_entries_written", default=0)


def record(
    action,
    *,
    request=None,
    actor=None,
    outcome=Outcome.OK,
    target=None,
    customers=(),
    detail=None,
    username="",
):
    """Append one entry to the ledger and return it.

    ``target`` is a model instance or a ``(type, id)`` pair; ``customers`` the customer
    ids the action touched; ``detail`` a small dict of non-personal facts (field names,
    reason, counts); ``username`` the name typed at a failed sign-in, when there is no
    actor. Runs in the caller's transaction: if the work rolls back, so does the entry,
    and if the entry cannot be written, the error reaches the caller.
    """
    action, outcome = checked(Action, action).value, checked(Outcome, outcome).value
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if target is not None and not isinstance(target, tuple):
        target = (target._meta.label_lower, target.pk)
    target_type, target_id = target or ("", "")
    customer_ids = list(dict.fromkeys(str(c) for c in customers))
    # No savepoint of its own: callers are inside the atomic block of their work, and
    # an entry that fails must fail that work too (and two fewer round trips).
    with transaction.atomic(savepoint=False):
        head = _advance_head()
        entry = AuditEntry(
            seq=head.seq,
            created_at=timezone.now(),
            action=action,
            outcome=outcome,
            actor_id=actor.pk if actor else None,
            actor_username=_text(actor.get_username() if actor else username, 150),
            actor_role=(role_of(actor) or "") if actor else "",
            ip=client_address(request),
            user_agent=_text(request.headers.get("User-Agent", ""), 300) if request else "",
            request_id=_text(getattr(request, "request_id", ""), 36),
            target_type=_text(target_type, 60),
            target_id=_text(target_id, 64),
            customer_ids=customer_ids,
            detail=_plain(detail or {}),
            prev_chain=head.chain,
        )
        entry.chain = chain_value(settings.AUDIT_CHAIN_KEY, entry)
        _insert(entry)
        _written.set(_written.get() + 1)
        from audit.alerts import check_alerts

        check_alerts(entry, request=request)
    return entry


# Written with plain SQL: this runs on every request, and building the ORM's INSERTs
# cost more than the database work itself.
_COLUMNS = [*CHAIN_FIELDS, "chain"]
_COLS, _MARKS = ", ".join(_COLUMNS), ", ".join(["%s"] * len(_COLUMNS))
_INSERT_ENTRY = f"INSERT INTO audit_auditentry ({_COLS}) VALUES ({_MARKS}) RETURNING id"  # noqa: S608
_UPDATE_HEAD = "UPDATE audit_audithead SET chain = %s WHERE id = %s"
# The day's count for the home page's charts (audit.models.AuditDay), in the same write.
_COUNT_DAY = (
    "INSERT INTO audit_auditday (day, action, outcome, actor_username, entries) "
    "VALUES (%s, %s, %s, %s, 1) ON CONFLICT (day, action, outcome, actor_username) "
    "DO UPDATE SET entries = audit_auditday.entries + 1"
)


def japan_day(moment):
    """The calendar day of ``moment`` in the settings' time zone (Japan), as the charts
    group entries."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def _insert(entry):
    """Insert the entry (and, where kept, its customer appearances), and move the head's
    chain value."""
    row = {name: getattr(entry, name) for name in _COLUMNS}
    row["created_at"] = connection.ops.adapt_datetimefield_value(entry.created_at)
    row["customer_ids"] = customer_ids = canonical_json(entry.customer_ids)
    row["detail"] = canonical_json(entry.detail)
    values = list(row.values())
    insert, head, day = _INSERT_ENTRY, _UPDATE_HEAD, _COUNT_DAY
    day_key = [japan_day(entry.created_at), entry.action, entry.outcome, entry.actor_username]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One round trip for all three writes (the entry's own GIN index finds its
            # customers: audit.appearances).
            cursor.execute(
                f"WITH e AS ({insert}), h AS ({head}), d AS ({day}) "  # noqa: S608
                "SELECT id FROM e",
                [*values, *(entry.chain, HEAD_PK), *day_key],
            )
            entry.pk = cursor.fetchone()[0]
        else:
            cursor.execute(insert, values)
            entry.pk = cursor.fetchone()[0]
            cursor.execute(head, [entry.chain, HEAD_PK])
            cursor.execute(day, day_key)
            # Two statements whatever the count (an export names every customer): the
            # ids come from the entry's own JSON list, not one INSERT per customer.
            appearances.write(cursor, entry.pk, customer_ids)
    entry._state.adding, entry._state.db = False, connection.alias


def entries_written():
    """How many entries this thread (or task) has written so far."""
    return _written.get()


def _text(value, limit):
    """A column value: text without control characters (the chain's separator among
    them), cut to the column's length."""
    text = "" if value is None else str(value)
    if not text.isprintable():
        text = "".join(c if c.isprintable() else "?" for c in text)
    return text[:limit]


def _plain(detail):
    """The detail exactly as the database will give it back (UUIDs, dates as text)."""
    return json.loads(json.dumps(detail, cls=DjangoJSONEncoder))


def _advance_head():
    """Take the next sequence number and the previous chain value, as the new ``Head``
    (its chain is still the previous entry's: the caller chains the new entry to it).

    The UPDATE locks the head row (PostgreSQL) or takes the write lock (SQLite) until
    the surrounding transaction ends, so appends queue one behind the other.
    """
    table = _head_table()
    for _attempt in range(3):
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET seq = seq + 1 WHERE id = %s RETURNING seq, chain",  # noqa: S608
                [HEAD_PK],
            )
            row = cursor.fetchone()
        if row is not None:
            return Head(*row)
        _create_head()
    raise RuntimeError("The audit ledger head could not be created.")


def _head_table():
    return connection.ops.quote_name(AuditHead._meta.db_table)


def _create_head():
    """Make the head row from the last entry (a fresh or flushed database)."""
    row = AuditEntry.objects.order_by("-seq").values_list(*Head._fields).first()
    last = Head(*row) if row else Head(0, "")
    try:
        with transaction.atomic():
            AuditHead.objects.create(pk=HEAD_PK, seq=last.seq, chain=last.chain)
    except IntegrityError:
        pass  # Another request made it first.


def current_head():
    """The stored ``Head`` of the ledger, or None before the first entry."""
    head = AuditHead.objects.filter(pk=HEAD_PK).values_list(*Head._fields).first()
    return Head(*head) if head else None
