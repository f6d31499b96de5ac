"""The outsourcee register's facts (委託先・提供先の登録簿) and the public statement the
policy generates from it: the entrusted parties and third parties, the data each
receives, the foreign countries where customers' data is stored (APPI art. 28, guideline
10-7 外的環境の把握), and ShopGuard's own measures, in Japanese and English.

For other pages (the evidence page): ``entries()``, ``unchecked_entries()``,
``register_digest()`` and ``changed_since_policy()``.
"""

import hashlib
import json

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from policy.countries import BY_CODE
from policy.models import Outsourcee, PolicyVersion


def entries() -> QuerySet[Outsourcee]:
    """The services in use that handle the shop's customer data."""
    return Outsourcee.objects.filter(in_use=True)


def entry_named(name: str) -> Outsourcee | None:
    """The entry in use whose Japanese or English name is ``name`` exactly, if any."""
    name = (name or "").strip()
    if not name:
        return None
    return entries().filter(Q(name_ja=name) | Q(name_en=name)).order_by("pk").first()


def unchecked_entries() -> QuerySet[Outsourcee]:
    """Entries in use whose security terms were never checked."""
    return entries().filter(terms_checked_on__isnull=True)


def register_digest() -> str:
    """SHA-256 of what the public statement says from the register (names, work, items,
    basis, country of every entry in use): a change to any of it is a new digest."""
    rows = [
        [e.name_ja, e.name_en, e.work_ja, e.work_en, sorted(e.data_items), e.basis, e.country]
        for e in entries().order_by("pk")
    ]
    payload = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def changed_since_policy() -> bool:
    """True when the register says something the newest published policy version did not
    (a new service, another country, other data): the owner should publish a new version,
    as for a material change."""
    newest = PolicyVersion.objects.consent_target()
    if newest is None:
        return False
    return newest.register_digest != register_digest()


def statement(language: str) -> dict:
    """The policy's generated statement in one language: ``parties`` (each entry's name,
    work, items, basis, country), ``foreign`` (the foreign countries' names) and
    ``measures`` (ShopGuard's own measures, from the live settings)."""
    english = language == "en"
    parties = [
        {
            "name": e.name_en if english else e.name_ja,
            "work": e.work_en if english else e.work_ja,
            "items": e.data_item_labels(),
            "basis": e.get_basis_display(),
            "third_party": e.basis == Outsourcee.Basis.THIRD_PARTY,
            "country": BY_CODE[e.country].name(language) if e.country in BY_CODE else e.country,
            "foreign": e.country != "JP",
        }
        for e in entries()
    ]
    foreign = sorted({p["country"] for p in parties if p["foreign"]})
    return {"parties": parties, "foreign": foreign, "measures": own_measures()}


def own_measures() -> list:
    """What ShopGuard itself does, as the statement lists it (translated per request)."""
    measures = [
        _("お客様の個人情報は、項目ごとに暗号化（AES-256）して保存しています。"),
        _("個人情報を表示・出力した人と日時、理由は、改ざんを検知できる記録に残しています。"),
        _("データの出力には、別の担当者の確認が必要です。"),
        _(
            "顧客情報を扱う全員が、所内ルールに年に一度以上同意してから作業しています"
            "（%(days)s日ごと、重要な変更のたび）。"
        )
        % {"days": settings.RULES_ACCEPTANCE_DAYS},
    ]
    if settings.SHOPGUARD_REQUIRE_2FA:
        measures.append(_("管理画面へのサインインには二要素認証が必要です。"))
    if settings.SHOPGUARD_BACKOFFICE_NETWORKS:
        measures.append(_("管理画面は、店舗が許可したネットワークからだけ開けます。"))
    return measures
