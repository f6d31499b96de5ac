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

    @property
    def summary(self):
        if self.required:
            return _("個人情報保護委員会への報告と、本人への通知が必要です。")
        return _("法律上の報告義務には当たりません（判断の理由は下の表のとおり）。")


def unlawful_purpose_suspected(incident):
    return incident.cause in UNLAWFUL_CAUSES


def triage(incident):
    people = incident.people
    rules = [
        Rule(
            "sensitive",
            _("要配慮個人情報が含まれる（第7条第1号）"),
            incident.scope_sensitive,
            _("対象に要配慮カテゴリ（医薬品など）の購入履歴が含まれます。")
            if incident.scope_sensitive
            else _("対象の項目に要配慮カテゴリの購入履歴は含まれません。"),
        ),
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
            _("本人の数が1,000人を超える（第7条第4号）"),
            people > PEOPLE_THRESHOLD,
            _("対象は%(people)s人で、1,000人を%(word)s。")
            % {
                "people": f"{people:,}",
                "word": _("超えます") if people > PEOPLE_THRESHOLD else _("超えません"),
            },
        ),
    ]
    exempt = _exemption(incident)
    # Unknown protection counts as unprotected until the owner knows better (PPC
    # guidelines: when in doubt, report).
    required = not exempt.applies and any(rule.applies for rule in rules)
    return Triage(rules=rules, exempt=exempt, required=required)


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
