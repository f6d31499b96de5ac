"""Must the shop report to the PPC and tell the people? The rules of APPI art. 26 and
PPC rules art. 7, applied to an incident's frozen scope and the owner's answers.

Nothing here decides silently: ``triage`` returns every rule with whether it applies and
the reason in words, and the page prints them as a checklist the owner can check.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from incidents.models import Incident

# PPC rules art. 7(4): "more than 1,000" people — 1,000 is not, 1,001 is.
PEOPLE_THRESHOLD = 1000
# Causes that make an unlawful purpose suspected (art. 7(3)): someone meant to take it.
UNLAWFUL_CAUSES = {
    Incident.Cause.OUTSIDE_ATTACK,
    Incident.Cause.INSIDER,
    Incident.Cause.SKIMMING,
}


@dataclass(frozen=True)
class Rule:
    key: str
    title: str
    applies: bool | None  # None: not yet known
    reason: str


@dataclass(frozen=True)
class Triage:
    rules: list
    exempt: Rule
    required: bool
    # False while the answer hangs on the scope: no duty is ever concluded from an
    # affected set that does not exist yet (or holds nobody).
    decided: bool = True

    @property
    def summary(self):
        if self.required:
            return _("個人情報保護委員会への報告と、本人への通知が必要です。")
        if not self.decided:
            return _("まだ判断できません。対象（漏えい等した顧客と項目）を確定すると判断できます。")
        return _("法律上の報告義務には当たりません（判断の理由は下の表のとおり）。")

    @property
    def verdict(self):
        """One word for a list: 必要, 未判断 or 不要."""
        if self.required:
            return _("必要")
        return _("不要") if self.decided else _("未判断")


def unlawful_purpose_suspected(incident):
    return incident.cause in UNLAWFUL_CAUSES


def has_scope(incident):
    """Whether the affected set is known: frozen, and holding somebody."""
    return bool(incident.scope_frozen_at) and incident.people > 0


def _unknown_until_scoped(key, title):
    return Rule(
        key,
        title,
        None,
        _("対象がまだ確定していない（または0人の）ため、分かりません。"),
    )


def triage(incident):
    people = incident.people
    scoped = has_scope(incident)
    sensitive_title = _("要配慮個人情報が含まれる（第7条第1号）")
    people_title = _("本人の数が1,000人を超える（第7条第4号）")
    rules = [
        Rule(
            "sensitive",
            sensitive_title,
            incident.scope_sensitive,
            _("対象に要配慮カテゴリ（医薬品など）の購入履歴が含まれます。")
            if incident.scope_sensitive
            else _("対象の項目に要配慮カテゴリの購入履歴は含まれません。"),
        )
        if scoped
        else _unknown_until_scoped("sensitive", sensitive_title),
        Rule(
            "financial",
            _("財産的被害が生じるおそれがある（第7条第2号）"),
            incident.payment_data_usable or incident.cause == Incident.Cause.SKIMMING,
            _("決済に使えるデータ（カード番号など）が漏れたおそれがあります。")
            if incident.payment_data_usable or incident.cause == Incident.Cause.SKIMMING
            else _(
                "ShopGuardはカード番号を保存しません。カード下4桁・有効期限・トークンだけでは"
                "該当しません。"
            ),
        ),
        Rule(
            "unlawful",
            _("不正の目的によるおそれがある（第7条第3号）"),
            unlawful_purpose_suspected(incident),
            _("原因が「%(cause)s」のため、不正の目的が疑われます。")
            % {"cause": incident.get_cause_display()}
            if unlawful_purpose_suspected(incident)
            else _("原因は不正の目的によるものではありません。"),
        ),
        Rule(
            "people",
            people_title,
            people > PEOPLE_THRESHOLD,
            _("対象は%(people)s人で、1,000人を%(word)s。")
            % {
                "people": f"{people:,}",
                "word": _("超えます") if people > PEOPLE_THRESHOLD else _("超えません"),
            },
        )
        if scoped
        else _unknown_until_scoped("people", people_title),
    ]
    exempt = _exemption(incident)
    # Unknown protection counts as unprotected until the owner knows better (PPC
    # guidelines: when in doubt, report).
    required = not exempt.applies and any(rule.applies for rule in rules)
    # A rule that already applies (the cause) decides without the scope; the exemption
    # too. Otherwise "no duty" needs the scope to be known.
    decided = required or bool(exempt.applies) or scoped
    return Triage(rules=rules, exempt=exempt, required=required, decided=decided)


def _exemption(incident):
    protection = incident.protection
    title = _("高度な暗号化等の措置があり、鍵も漏れていない（報告不要の例外）")
    if protection == Incident.Protection.ENCRYPTED_KEYS_APART:
        return Rule(
            "exempt",
            title,
            True,
            _(
                "漏れたものは暗号化されたままで、復号の鍵は別に保管され漏れていないため、"
                "個人の権利利益を害するおそれはないとされます。"
            ),
        )
    if protection == Incident.Protection.READABLE:
        return Rule(
            "exempt",
            title,
            False,
            _("漏れたものは読める状態だったため、この例外には当たりません。"),
        )
    return Rule(
        "exempt",
        title,
        None,
        _(
            "漏れたものが暗号化されたままだったか、まだ分かりません。分かるまでは、"
            "この例外に当たらないものとして扱います。"
        ),
    )
