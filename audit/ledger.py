"""The one way to write to the audit ledger: ``record()``.

Every sign-in, view, reveal, change, export and policy action calls ``record`` inside the
same transaction as the work it records. Entries hold ids, field names, action names and
reasons, never personal values.
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEntry
from shopguard.roles import role_of


def client_ip(request):
    return request.META.get("REMOTE_ADDR") if request is not None else None


def record(
    action, *, request=None, actor=None, outcome="ok", target=None, customers=(), detail=None
):
    """Append one entry to the ledger and return it.

    ``target`` is a model instance or a ``(type, id)`` pair; ``customers`` the customer
    ids the action touched; ``detail`` a small dict of non-personal facts (field names,
    reason, counts).
    """
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if target is not None and not isinstance(target, tuple):
        target = (target._meta.label_lower, str(target.pk))
    target_type, target_id = target or ("", "")
    with transaction.atomic():
        last = AuditEntry.objects.select_for_update().order_by("-seq").first()
        entry = AuditEntry(
            seq=(last.seq + 1) if last else 1,
            created_at=timezone.now(),
            action=action,
            outcome=outcome,
            actor_id=actor.pk if actor else None,
            actor_username=actor.get_username() if actor else "",
            actor_role=role_of(actor) or "" if actor else "",
            ip=client_ip(request),
            user_agent=(request.headers.get("User-Agent", "")[:300] if request else ""),
            request_id=getattr(request, "request_id", "") if request else "",
            target_type=target_type,
            target_id=target_id,
            customer_ids=[str(c) for c in customers],
            detail=detail or {},
            prev_chain=last.chain if last else "",
        )
        entry.chain = chain_value(entry)
        entry.save()
    return entry


def chain_value(entry):
    """HMAC-SHA256 over the entry's canonical content and the previous chain value."""
    content = json.dumps(
        [
            entry.seq,
            entry.created_at.isoformat(),
            entry.action,
            entry.outcome,
            entry.actor_id,
            entry.actor_username,
            entry.actor_role,
            entry.ip,
            entry.user_agent,
            entry.request_id,
            entry.target_type,
            entry.target_id,
            entry.customer_ids,
            entry.detail,
            entry.prev_chain,
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hmac.new(settings.AUDIT_CHAIN_KEY, content.encode(), hashlib.sha256).hexdigest()
