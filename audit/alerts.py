"""Alerts on unusual access: an ``alert.raise`` ledger entry, an ``Alert`` row for the
owner's banner, and an e-mail to the active people who receive alerts (the owners,
``audit.acknowledge_alert``), which names no person and no customer, only the kind of
alert and the ledger entry to look at.

Checked inside ``record`` for the few actions that can raise one, so an ordinary page
view costs at most two small indexed queries.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit import appearances
from audit.actions import (
    ACCOUNT_SECURITY_ACTIONS,
    ALERT_ACTIONS,
    COUNTED_ACTIONS,
    SIGN_IN_FAILURES,
    Action,
    Outcome,
)
from audit.models import Alert, AuditEntry
from vault.access import holders
from vault.mail import send_mail

WINDOW = timedelta(hours=1)
# Who receives alerts (the banner, the mail) and marks them seen: the owners.
RECEIVE_ALERTS = "audit.acknowledge_alert"
VIEW_ACTIONS = COUNTED_ACTIONS  # what the bulk-viewing alert counts (see audit.actions)


def check_alerts(entry, request=None):
    """Raise whatever alert ``entry`` calls for (called by ``record``)."""
    action, outcome = entry.action, entry.outcome
    if action in ALERT_ACTIONS:
        return
    if action == Action.EXPORT_DOWNLOAD and outcome == Outcome.OK:
        # An ordinary approved download is in the take-out ledger; one nobody else
        # checked (self-approved, or approved by the requester's own appointee) alerts.
        if entry.detail.get("self_approved"):
            raise_alert(Alert.EXPORT_DOWNLOAD, entry, once_per_hour=False)
    elif action == Action.CUSTOMER_REVEAL and entry.detail.get("past_guide"):
        raise_alert(Alert.OWNER_REVEALS, entry)
    elif (
        action == Action.CUSTOMER_REVEAL
        and outcome == Outcome.REFUSED
        and entry.detail.get("reason_code") == "quota"
    ):
        raise_alert(Alert.REVEAL_QUOTA, entry)
    elif action == Action.SIGN_IN and outcome == Outcome.OK:
        if _is_new_ip(entry):
            raise_alert(Alert.NEW_IP, entry, once_per_hour=False)
    elif action in SIGN_IN_FAILURES and outcome == Outcome.REFUSED:
        if action == Action.LOCKOUT or _failures_in_window(entry) >= _failure_limit():
            raise_alert(Alert.FAILURES, entry)
    elif action in ACCOUNT_SECURITY_ACTIONS and outcome == Outcome.OK:
        # Rare, and each one grants or moves access: every one is shown, none merged.
        raise_alert(Alert.ACCOUNT_CHANGE, entry, once_per_hour=False)
    if (
        entry.customer_ids
        and action in VIEW_ACTIONS
        and outcome == Outcome.OK
        and entry.actor_id is not None
        and _distinct_customers_in_window(entry) > _distinct_limit()
    ):
        raise_alert(Alert.BULK_VIEW, entry)


def _distinct_limit():
    return settings.SHOPGUARD_ALERT_DISTINCT_CUSTOMERS_PER_HOUR


def _failure_limit():
    return settings.SHOPGUARD_ALERT_FAILURES_PER_HOUR


# Plain SQL for the one check that runs on every customer page (the ORM's query
# building cost more than the indexed count itself). It reads only the person's counted
# entries of the window (the partial index audit_counted_time: the actions are literals,
# as its condition is, so both databases can prove the index applies), each naming one
# customer or a few, and stops at the first customer past the limit: the answer is only
# "over the limit or not", so a person's list pages and history never make a request
# slower.
_COUNTED = ", ".join(f"'{action}'" for action in COUNTED_ACTIONS)


def _distinct_sql(vendor):
    return (
        "SELECT COUNT(*) FROM (SELECT DISTINCT j.value "  # noqa: S608
        f"FROM audit_auditentry e, {appearances.customers_in_sql(vendor)} "
        f"WHERE e.actor_id = %s AND e.created_at > %s AND e.action IN ({_COUNTED}) "
        "LIMIT %s) AS seen"
    )


_DISTINCT_SQL = {vendor: _distinct_sql(vendor) for vendor in ("sqlite", "postgresql")}


def _distinct_customers_in_window(entry):
    """Distinct customers ``entry``'s person opened in the window, counted up to one
    past the limit (enough to know it was passed)."""
    since = connection.ops.adapt_datetimefield_value(entry.created_at - WINDOW)
    with connection.cursor() as cursor:
        cursor.execute(
            _DISTINCT_SQL[connection.vendor], [entry.actor_id, since, _distinct_limit() + 1]
        )
        return cursor.fetchone()[0]


def _failures_in_window(entry):
    return AuditEntry.objects.filter(
        actor_username=entry.actor_username,
        created_at__gt=entry.created_at - WINDOW,
        action__in=SIGN_IN_FAILURES,
        outcome=Outcome.REFUSED,
    ).count()


def _is_new_ip(entry):
    """A sign-in from an address this person never signed in from (first sign-in aside)."""
    if entry.actor_id is None or not entry.ip:
        return False
    earlier = AuditEntry.objects.filter(
        actor_id=entry.actor_id, action=Action.SIGN_IN, outcome=Outcome.OK, seq__lt=entry.seq
    )
    return earlier.exists() and not earlier.filter(ip=entry.ip).exists()


def raise_alert(kind, cause, once_per_hour=True):
    """Record an alert caused by ledger entry ``cause`` and tell the owners.

    With ``once_per_hour`` a second alert of the same kind about the same person within
    the hour is not raised again (the first one is still on the owner's banner).
    """
    subject = {"subject_id": cause.actor_id, "subject_username": cause.actor_username}
    if once_per_hour:
        recent = Alert.objects.filter(kind=kind, raised_at__gt=cause.created_at - WINDOW, **subject)
        if recent.exists():
            return None
    from audit.ledger import record

    entry = record(
        Action.ALERT_RAISE,
        target=("audit.auditentry", cause.seq),
        detail={"kind": kind, "cause_seq": cause.seq, "subject_id": cause.actor_id},
    )
    alert = Alert.objects.create(
        kind=kind, raised_at=entry.created_at, entry_seq=entry.seq, cause_seq=cause.seq, **subject
    )
    transaction.on_commit(lambda: notify_owners(alert))
    return alert


def owner_addresses(besides=None):
    """E-mail addresses of the active people who receive alerts (the owners), but the
    person ``besides`` (the alert's subject) when anyone else is left to tell."""
    users = holders(RECEIVE_ALERTS).exclude(email="")
    others = users.exclude(pk=besides) if besides is not None else users
    return sorted(set((others if others.exists() else users).values_list("email", flat=True)))


def notify_owners(alert):
    """Mail the other owners that an alert is waiting; the mail holds no personal data."""
    recipients = owner_addresses(besides=alert.subject_id)
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        kind = alert.get_kind_display()
        subject = _("[ShopGuard] 警告: %(kind)s") % {"kind": kind}
        body = _(
            "ShopGuard が警告を記録しました。\n"
            "種類: %(kind)s\n"
            "監査記録の番号: %(seq)s\n"
            "管理画面のホームで内容を確認し、確認済みにしてください。"
        ) % {"kind": kind, "seq": alert.entry_seq}
    send_mail(subject, body, None, recipients, fail_silently=True)


# The daily digest (a scheduled job, upkeep.schedule) ---------------------------------


def digest_body(since, now):
    """(subject, body) of the digest of the alerts raised from ``since`` to ``now`` and
    of every one still unacknowledged, or None when there is neither. Kinds, counts,
    times and ledger entry numbers only: no person and no customer is named."""
    raised = Alert.objects.filter(raised_at__gt=since, raised_at__lte=now)
    counts = {}
    for kind in raised.values_list("kind", flat=True):
        counts[kind] = counts.get(kind, 0) + 1
    waiting = list(open_alerts().order_by("raised_at"))
    if not counts and not waiting:
        return None
    labels = dict(Alert.KIND_CHOICES)
    with translation.override(settings.LANGUAGE_CODE):
        lines = [
            _("ShopGuard の警告のまとめです（%(since)s から %(now)s まで）。")
            % {"since": _when(since), "now": _when(now)},
            "",
            _("この期間に記録された警告: %(count)s 件") % {"count": sum(counts.values())},
        ]
        lines += [f"  - {labels[kind]}: {count}" for kind, count in sorted(counts.items()) if count]
        lines += ["", _("まだ確認されていない警告: %(count)s 件") % {"count": len(waiting)}]
        lines += [
            "  - "
            + _("%(when)s %(kind)s（監査記録の番号: %(seq)s）")
            % {"when": _when(alert.raised_at), "kind": labels[alert.kind], "seq": alert.entry_seq}
            for alert in waiting
        ]
        if waiting:
            lines += ["", _("管理画面のホームで内容を確認し、確認済みにしてください。")]
        subject = _("[ShopGuard] 警告のまとめ: %(raised)s 件、未確認 %(waiting)s 件") % {
            "raised": sum(counts.values()),
            "waiting": len(waiting),
        }
    return subject, "\n".join(lines) + "\n"


def _when(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def send_digest(since, now=None):
    """Mail the digest (``digest_body``) to each person who receives alerts, one mail
    each; return (alerts raised in the period, unacknowledged, people mailed)."""
    now = now or timezone.now()
    made = digest_body(since, now)
    raised = Alert.objects.filter(raised_at__gt=since, raised_at__lte=now).count()
    waiting = open_alerts().count()
    if made is None:
        return raised, waiting, 0
    subject, body = made
    addresses = owner_addresses()
    for address in addresses:
        send_mail(subject, body, None, [address], fail_silently=False)
    return raised, waiting, len(addresses)


# Acknowledging needs a recent re-authentication. That is the accounts app's, which
# imports this one: it hands over its decorator at start-up (AccountsConfig.ready).
_REAUTH_DECORATOR = []


def use_reauthentication(decorator):
    """Called by the accounts app: ``decorator`` guards the acknowledge button."""
    _REAUTH_DECORATOR[:] = [decorator]


def reauthenticated(view, **kwargs):
    """``view`` behind the registered re-authentication decorator (fails loudly without)."""
    if not _REAUTH_DECORATOR:
        raise ImproperlyConfigured("The accounts app did not hand over re-authentication.")
    return _REAUTH_DECORATOR[0](view, **kwargs)


def open_alerts():
    """Alerts nobody has acknowledged yet, newest first."""
    return Alert.objects.filter(acknowledged_at__isnull=True).order_by("-raised_at")


class OwnAlert(Exception):
    """Nobody acknowledges an alert about their own actions."""


def may_acknowledge(user, alert):
    """True when ``user`` receives alerts and ``alert`` is not about their own actions."""
    return user.has_perm(RECEIVE_ALERTS) and alert.subject_id != user.pk


def acknowledge(alert, request):
    """Mark ``alert`` as seen by the signed-in owner (named on it), in the ledger too.
    Raises OwnAlert for an alert about the owner's own actions."""
    from audit.ledger import record

    if not may_acknowledge(request.user, alert):
        raise OwnAlert
    with transaction.atomic():
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by_id = request.user.pk
        alert.acknowledged_by_username = request.user.get_username()
        alert.save(
            update_fields=["acknowledged_at", "acknowledged_by_id", "acknowledged_by_username"]
        )
        record(
            Action.ALERT_ACKNOWLEDGE,
            request=request,
            target=("audit.alert", alert.pk),
            detail={"kind": alert.kind, "alert_seq": alert.entry_seq},
        )


def unacknowledged_for(user):
    """The open alerts ``user`` may read (owner and auditor), newest first; none for
    anyone else. Only the owner acknowledges them (on the home page's banner)."""
    if not user.has_perm("audit.view_alert"):
        return Alert.objects.none()
    return open_alerts()
