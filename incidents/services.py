"""Everything done to an incident, each step in the same transaction as its ledger entry."""

import hashlib
import logging
import uuid
from collections.abc import Mapping
from typing import NamedTuple, TypedDict

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from audit import reviews
from audit.actions import Action
from audit.ledger import record
from audit.models import AccessReview
from customers import reading
from incidents import measures, scope
from incidents.models import Incident, Measure, Notice, ReportDraft
from policy.models import ShopProfile
from vault.access import AuthenticatedHttpRequest
from vault.mail import ShopEmailMessage as EmailMessage

logger = logging.getLogger(__name__)

# Mails sent per press of the button: a page that answers, and a run that resumes.
NOTICE_BATCH = 50
# How the seed's example shop facts are marked (policy 事業者情報): not a shop to sign with.
EXAMPLE_MARK = "（例）"


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
    public = f"/notice/{incident.public_slug}/" if incident.published_at else ""
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


class NoticeMail(NamedTuple):
    """The mail every affected customer receives, exactly as previewed."""

    subject: str
    body: str

    @property
    def fingerprint(self) -> str:
        """What the preview page sends back: the send is refused if the text changed."""
        return hashlib.sha256(f"{self.subject}\n{self.body}".encode()).hexdigest()


def shop_facts() -> dict[str, str]:
    """The shop as 事業者情報 names it (in Japanese: the customers' language)."""
    facts = ShopProfile.load().localised("ja")
    return {key: str(value or "") for key, value in facts.items()}


def notice_mail(incident: Incident) -> NoticeMail:
    """The customer-facing notice: the shop, an apology, what happened, which data, what
    to do, the contact. No customer's name or value, and none of the internal memo."""
    shop = shop_facts()
    with translation.override("ja"):
        items = "、".join(str(scope.item_label(name)) for name in incident.scope_fields)
        if incident.scope_sensitive:
            items += _("、購入履歴（配慮の必要な商品を含む）")
        leaked = (
            _("漏えいしました")
            if incident.certainty == Incident.Certainty.CONFIRMED
            else _("漏えいしたおそれがあります")
        )
        subject = _("【重要】%(shop)sからのお詫びとお知らせ（個人情報の漏えい等について）") % {
            "shop": shop["business_name"]
        }
        body = _(
            "%(shop)sをご利用いただいているお客様へ\n\n"
            "このたび、当店でお預かりしているお客様の個人情報が%(leaked)s。"
            "お客様に多大なご迷惑とご心配をおかけしますことを、心よりお詫び申し上げます。\n\n"
            "■ 何が起きたか\n%(what)s\n\n"
            "■ 対象となるお客様の情報\n%(items)s\n\n"
            "■ 発覚した日\n%(discovered)s\n\n"
            "■ お客様へのお願い\n%(advice)s\n\n"
            "■ お問い合わせ先\n%(contact)s\n\n"
            "%(shop)s\n%(address)s\n代表者 %(representative)s\n"
        ) % {
            "shop": shop["business_name"],
            "leaked": leaked,
            "what": incident.customer_what_happened.strip(),
            "items": items,
            "discovered": date_format(timezone.localtime(incident.discovered_at), "Y年n月j日"),
            "advice": incident.customer_advice.strip(),
            "contact": incident.public_contact.strip(),
            "address": shop["address"],
            "representative": shop["representative"],
        }
    return NoticeMail(subject=subject, body=body)


def _labels(names: tuple[str, ...]) -> dict[str, str]:
    fields = {field.name: field for field in Incident._meta.fields}
    return {name: str(fields[name].verbose_name) for name in names}


def missing_for_notice(incident: Incident) -> list[str]:
    """What must be filled in before any customer is told, by its label."""
    names = ("customer_what_happened", "customer_advice", "public_contact")
    missing = [
        label for name, label in _labels(names).items() if not getattr(incident, name).strip()
    ]
    if not incident.scope_frozen_at:
        missing.insert(0, _("対象（確定してください）"))
    if not shop_facts()["business_name"] or EXAMPLE_MARK in shop_facts()["business_name"]:
        missing.append(_("事業者情報の事業者名（例のままです）"))
    return missing


def missing_for_publishing(incident: Incident) -> list[str]:
    """What must be filled in before the notice page goes public, by its label."""
    names = ("public_title", "public_slug", "public_text", "public_contact")
    return [
        label
        for name, label in _labels(names).items()
        if not (getattr(incident, name) or "").strip()
    ]


def publish_notice(incident: Incident, *, request: AuthenticatedHttpRequest) -> Incident:
    """Put the notice page online as it reads now, dated and recorded; publishing again
    replaces what the page shows."""
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if missing_for_publishing(incident):
            raise ValueError("the notice is not complete")
        again = incident.published_at is not None
        incident.published_at = timezone.now()
        incident.published_by = request.user
        incident.published_notice = {
            "title": incident.public_title,
            "text": incident.public_text,
            "contact": incident.public_contact,
            "shop": shop_facts()["business_name"],
        }
        incident.save(update_fields=["published_at", "published_by", "published_notice"])
        record(
            Action.INCIDENT_PUBLISH,
            request=request,
            target=incident,
            detail={"slug": incident.public_slug, "again": again},
        )
    return incident


class NoticeBatch(NamedTuple):
    """What one press of the button did."""

    sent: int  # mails sent
    unreachable: int  # customers without an address, recorded as such
    left: int  # customers still to be told
    failed: bool  # the mail server refused a mail: the batch stopped there


class NoticeNotReady(Exception):
    """The notice lacks something it must say, or is not the text that was previewed."""


def send_notices(
    incident: Incident,
    *,
    request: AuthenticatedHttpRequest,
    previewed: str,
    batch: int | None = None,
) -> NoticeBatch:
    """Tell the next ``batch`` customers not yet told, one mail and one recipient each.

    ``previewed`` is the fingerprint of the mail the owner saw on the preview page: if
    the text changed since (the incident or the shop's facts were edited), nothing is
    sent. The incident's row is locked for the batch, so two presses never tell anyone
    twice; each notice is recorded as its mail goes, and a mail server that fails stops
    the batch with what was sent kept, so the next press resumes there.
    """
    sent = unreachable = 0
    failed = False
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if missing_for_notice(incident) or notice_mail(incident).fingerprint != previewed:
            raise NoticeNotReady
        told = {str(pk) for pk in incident.notices.values_list("customer_id", flat=True)}
        waiting = [pk for pk in incident.scope_customer_ids if str(uuid.UUID(pk)) not in told]
        waiting = waiting[: batch or NOTICE_BATCH]
        subject, body = notice_mail(incident)
        addresses = reading.notice_addresses(
            request, waiting, action=Action.INCIDENT_NOTICE, target=incident
        )
        for customer_id in waiting:
            address = addresses.get(str(uuid.UUID(customer_id)), "")
            if address:
                try:
                    # Sent exactly as previewed: the text names the shop and its
                    # contact already (notice_mail), so no signature is added.
                    EmailMessage(subject, body, to=[address], sign=False).send()
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


# From the periodic review of access -------------------------------------------------


class FromReview(NamedTuple):
    """A new incident opened from a reviewed period: the form's first values, and the
    scope page's query (the period's dates, "what a person did in a period")."""

    initial: dict[str, object]
    scope_query: str


def from_access_review(key: str) -> FromReview | None:
    """What an incident opened from the review of the period ``key`` (``2026-11``)
    starts with, or None when that period has no review. The findings were checked for
    personal data when they were written (``audit.reviews.check_findings``)."""
    period = reviews.period_by_key(key)
    if period is None:
        return None
    review = AccessReview.objects.filter(period_start=period.start).first()
    if review is None:
        return None
    start, end = (timezone.localtime(moment) for moment in period.bounds())
    words = {"period": period.label, "seq": review.entry_seq, "who": review.reviewed_by_username}
    what = _("%(period)sのアクセスの点検（監査記録 #%(seq)s、%(who)sさん）の所見:") % words
    initial: dict[str, object] = {
        "title": _("アクセスの点検（%(period)s）の所見から") % words,
        "what_happened": f"{what}\n{review.findings}",
        "discovered_at": timezone.localtime(review.reviewed_at).replace(second=0, microsecond=0),
    }
    query = urlencode(
        {
            "source": Incident.ScopeSource.PERSON.value,
            "start": f"{start:%Y-%m-%d %H:%M}",
            "end": f"{end:%Y-%m-%d %H:%M}",
        }
    )
    return FromReview(initial, query)
