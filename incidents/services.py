"""Everything done to an incident, each step in the same transaction as its ledger entry."""

import logging
import uuid
from collections.abc import Mapping
from typing import NamedTuple, TypedDict

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.ledger import record
from customers import reading
from incidents import measures, scope
from incidents.models import Incident, Measure, Notice, ReportDraft
from vault.access import AuthenticatedHttpRequest
from vault.mail import ShopEmailMessage as EmailMessage

logger = logging.getLogger(__name__)

# Mails sent per press of the button: a page that answers, and a run that resumes.
NOTICE_BATCH = 50


def _facts(incident: Incident, **more: object) -> dict[str, object]:
    return {
        "cause": incident.cause,
        "certainty": incident.certainty,
        "people": incident.people,
        **more,
    }


def save_incident(
    incident: Incident, *, request: AuthenticatedHttpRequest, created: bool
) -> Incident:
    with transaction.atomic():
        if created:
            incident.created_by = request.user
        incident.save()
        action = Action.INCIDENT_OPEN if created else Action.INCIDENT_CHANGE
        record(action, request=request, target=incident, detail=_facts(incident))
    return incident


def freeze_scope(
    incident: Incident, source: str, built: scope.Scope, *, request: HttpRequest
) -> Incident:
    """Keep ``built`` (a ``scope.Scope``) as the incident's affected set."""
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        incident.scope_source = source
        incident.scope_params = {**built.facts, "masked_only": built.masked_only}
        incident.scope_customer_ids = [str(pk) for pk in built.customer_ids]
        incident.scope_fields = built.fields
        incident.scope_sensitive = built.sensitive
        incident.scope_frozen_at = timezone.now()
        incident.save()
        # The ids stay in the incident; the entry keeps how many and from what.
        record(
            Action.INCIDENT_SCOPE,
            request=request,
            target=incident,
            detail=_facts(
                incident,
                source=source,
                fields=built.fields,
                sensitive=built.sensitive,
                masked_only=built.masked_only,
            ),
        )
    return incident


class ReportItems(TypedDict):
    """The items of a report to the PPC (PPC rules art. 8), as the owner edits them."""

    summary: str
    items: str
    people: str
    cause: str
    secondary: str
    response: str
    announcement: str
    measures: str
    other: str


def draft_items(incident: Incident) -> ReportItems:
    """The report's items (PPC rules art. 8), pre-filled from what the incident knows."""
    told = incident.notices.filter(method=Notice.Method.EMAIL).count()
    done = [str(label) for key, label, measure in measures.recommended(incident) if measure]
    public = f"/notice/{incident.public_slug}/" if incident.public_slug else ""
    return {
        "summary": incident.what_happened,
        "items": "、".join(scope.item_label(name) for name in incident.scope_fields),
        "people": str(incident.people),
        "cause": str(incident.get_cause_display()),
        "secondary": _("確認中"),
        "response": _("%(people)s人中%(told)s人に通知済み")
        % {"people": incident.people, "told": told},
        "announcement": public or _("未実施"),
        "measures": "\n".join(done) or _("検討中"),
        "other": "",
    }


def save_report(
    incident: Incident, items: Mapping[str, str], *, request: AuthenticatedHttpRequest
) -> ReportDraft:
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        last = incident.reports.order_by("-version").first()
        version = (last.version + 1) if last else 1
        draft = ReportDraft.objects.create(
            incident=incident, version=version, items=items, saved_by=request.user
        )
        record(
            Action.INCIDENT_REPORT, request=request, target=incident, detail={"version": version}
        )
    return draft


def tick_measure(incident: Incident, key: str, *, request: AuthenticatedHttpRequest) -> Measure:
    if key not in measures.MEASURES:
        raise ValueError(key)
    with transaction.atomic():
        measure, created = Measure.objects.get_or_create(
            incident=incident,
            key=key,
            defaults={"done_by": request.user, "done_at": timezone.now()},
        )
        if created:
            record(
                Action.INCIDENT_MEASURE, request=request, target=incident, detail={"measure": key}
            )
    return measure


def notice_text(incident: Incident) -> str:
    """The notice each affected customer receives: no name, no value, only the facts."""
    items = "、".join(scope.item_label(name) for name in incident.scope_fields)
    return _(
        "お客様の個人情報の漏えい等についてのお知らせ\n\n"
        "何が起きたか：%(what)s\n"
        "対象となったお客様の情報：%(items)s\n"
        "原因：%(cause)s\n"
        "考えられる影響：%(risk)s\n"
        "お問い合わせ先：%(contact)s\n"
    ) % {
        "what": incident.what_happened,
        "items": items,
        "cause": incident.get_cause_display(),
        "risk": _("不審な連絡にご注意ください。心当たりのない請求があればご連絡ください。"),
        "contact": incident.public_contact or "-",
    }


class NoticeBatch(NamedTuple):
    """What one press of the button did."""

    sent: int  # mails sent
    unreachable: int  # customers without an address, recorded as such
    left: int  # customers still to be told
    failed: bool  # the mail server refused a mail: the batch stopped there


def send_notices(
    incident: Incident, *, request: AuthenticatedHttpRequest, batch: int | None = None
) -> NoticeBatch:
    """Tell the next ``batch`` customers not yet told, one mail and one recipient each.

    The incident's row is locked for the batch, so two presses never tell anyone twice;
    each notice is recorded as its mail goes, and a mail server that fails stops the
    batch with what was sent kept, so the next press resumes there.
    """
    sent = unreachable = 0
    failed = False
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        told = {str(pk) for pk in incident.notices.values_list("customer_id", flat=True)}
        waiting = [pk for pk in incident.scope_customer_ids if str(uuid.UUID(pk)) not in told]
        waiting = waiting[: batch or NOTICE_BATCH]
        subject = _("【重要】個人情報の漏えい等についてのお知らせ")
        body = notice_text(incident)
        addresses = reading.notice_addresses(
            request, waiting, action=Action.INCIDENT_NOTICE, target=incident
        )
        for customer_id in waiting:
            address = addresses.get(str(uuid.UUID(customer_id)), "")
            if address:
                try:
                    EmailMessage(subject, body, to=[address]).send()
                except Exception:  # noqa: BLE001 - any mail failure stops the batch
                    logger.warning("incident notice: the mail server refused a notice")
                    failed = True
                    break
                method, sent = Notice.Method.EMAIL, sent + 1
            else:
                method, unreachable = Notice.Method.UNREACHABLE, unreachable + 1
            Notice.objects.create(
                incident=incident,
                customer_id=customer_id,
                method=method,
                sent_at=timezone.now(),
                sent_by=request.user,
            )
            told.add(str(uuid.UUID(customer_id)))
    left = len(incident.scope_customer_ids) - len(told)
    return NoticeBatch(sent=sent, unreachable=unreachable, left=left, failed=failed)
