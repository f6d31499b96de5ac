"""The evidence page's items and their verdicts, derived from the shop's live state.

Every item of the checklists a small Japanese shop is asked for (issue #27; the owner's
guide, chapter 18) is one row of
``ITEMS``: its id, its checklist, its text, the fact function that reads the live state
and returns a ``Finding`` (verdict, evidence, link), and what to do when it is not met.
The fact functions share one ``State``, which reads each fact once per page: settings,
the ledger's last entries, the scheduled jobs, the people and their second factors, the
policy in force, the house rules and who accepted them, the outsourcee register, the
periodic access reviews, the register of diagnoses and the owner's statements. Nothing here
decrypts: the page holds counts, dates, settings and the shop's people's usernames.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import posture
from accounts.roles import people_with_a_role
from audit import activity, reviews
from audit.actions import Action
from audit.alerts import RECEIVE_ALERTS, open_alerts
from audit.models import AccessReview
from customers.fields import FIELDS
from customers.models import Customer
from dashboard.home import show_date, show_datetime
from dashboard.models import Statement
from datarequests.models import DataRequest
from exports.services import downloads_since
from incidents.deadlines import OVERDUE, open_deadlines
from policy import register
from policy.models import ConsentRecord, HouseRulesVersion, PolicyVersion, ThirdPartyProvision
from policy.rules import people_without_acceptance
from upkeep import schedule, security_checks
from upkeep.models import DatabaseRole, SecurityCheck
from vault import keys
from vault.access import holders
from vault.encryption import current_key_id
from vault.roles import ROLE_LABELS

# A verification older than a week is stale (the home page's VERIFY_MAX_AGE says why).
VERIFY_MAX_AGE = timedelta(days=7)
# A field key is replaced yearly (the home page's KEY_MAX_AGE says why).
KEY_MAX_AGE = timedelta(days=365)
# The IPA guideline's secondary source says logs are kept about a year.
LOG_KEPT_DAYS = 365
# The card payment form asks for a lockout at 6 failures or fewer.
LOCKOUT_AT_MOST = 6
# NIST SP 800-63B asks at least 8 characters; ShopGuard's default is 12.
STRONG_PASSWORD_LENGTH = 12
# The PPC guideline's small business: at most 5,000 persons' data (and 100 staff).
SMALL_BUSINESS_PERSONS = 5000
SMALL_BUSINESS_STAFF = 100
# How far back the exports are read (the home page's charts read 30 days).
EXPORT_DAYS = 30


class Verdict(models.TextChoices):
    MET = "met", gettext_lazy("満たしている")
    PARTLY = "partly", gettext_lazy("一部")
    NOT_MET = "not_met", gettext_lazy("満たしていない")
    UNKNOWN = "unknown", gettext_lazy("未確認")
    NOT_THIS_APPS = "not_this_apps", gettext_lazy("このアプリの範囲外")


# From the weakest to the strongest: an item of several parts is as good as its weakest.
STRENGTH = [Verdict.NOT_MET, Verdict.UNKNOWN, Verdict.PARTLY, Verdict.MET]


def weakest(*verdicts: str) -> Verdict:
    """The weakest of ``verdicts`` (NOT_THIS_APPS parts are left out)."""
    counted = [Verdict(v) for v in verdicts if v != Verdict.NOT_THIS_APPS]
    if not counted:
        return Verdict.NOT_THIS_APPS
    return min(counted, key=STRENGTH.index)


@dataclass(frozen=True)
class Finding:
    """What a fact function found: the verdict, the evidence behind it (a setting's
    value, a date, a count) and where to see or put it right."""

    verdict: str
    evidence: str
    link: str = ""
    link_text: str = ""


def joined(*findings: Finding) -> Finding:
    """Several findings as one: the weakest verdict, the evidence of each, the first link."""
    link = next((f for f in findings if f.link), Finding("", ""))
    return Finding(
        weakest(*(f.verdict for f in findings)),
        " ".join(f.evidence for f in findings if f.evidence),
        link.link,
        link.link_text,
    )


@dataclass(frozen=True)
class Checklist:
    key: str
    title: str | Promise
    source: str | Promise


CHECKLISTS = [
    Checklist(
        "ipa",
        gettext_lazy("IPA「ECサイト構築・運用セキュリティガイドライン」"),
        gettext_lazy("IPA（2023年）構築時の要件のうち、このアプリに関わるもの"),
    ),
    Checklist(
        "card",
        gettext_lazy("クレジットカード・セキュリティガイドライン"),
        gettext_lazy("6.0版（2025年）EC加盟店の申告項目"),
    ),
    Checklist(
        "ppc",
        gettext_lazy("個人情報保護委員会ガイドライン（通則編）10 安全管理措置"),
        gettext_lazy("個人情報保護委員会"),
    ),
    Checklist(
        "shopify1",
        gettext_lazy("Shopify 保護された顧客データ レベル1"),
        gettext_lazy("氏名・住所・電話・メールを扱うアプリへの要件"),
    ),
    Checklist(
        "shopify2",
        gettext_lazy("Shopify 保護された顧客データ レベル2"),
        gettext_lazy("氏名・住所・電話・メールを扱うアプリへの要件"),
    ),
    Checklist(
        "appi",
        gettext_lazy("個人情報保護法の義務"),
        gettext_lazy("ShopGuard が支える条文"),
    ),
]


class State:
    """The live facts the items read, each read once (when first asked)."""

    def __init__(self, now=None):
        self.now = now or timezone.now()
        self.today = timezone.localdate(self.now)

    @cached_property
    def two_factor(self):
        return posture.two_factor_coverage()

    @cached_property
    def revealers(self):
        return posture.revealers_by_role()

    @cached_property
    def verified(self):
        return activity.last_entry(Action.AUDIT_VERIFIED)

    @cached_property
    def backup(self):
        return activity.last_entry(Action.BACKUP_MADE)

    @cached_property
    def jobs(self):
        return {job.name: job for job in schedule.statuses(self.now)}

    @cached_property
    def policy(self):
        return PolicyVersion.objects.current()

    @cached_property
    def alert_receivers(self):
        return holders(RECEIVE_ALERTS).exclude(email="").distinct().count()

    @cached_property
    def overdue_incident_deadlines(self):
        return sum(1 for _i, d in open_deadlines(self.today) if d.state == OVERDUE)

    @cached_property
    def overdue_data_requests(self):
        open_steps = (DataRequest.Step.IDENTITY_CONFIRMED, DataRequest.Step.IN_PROGRESS)
        queue = DataRequest.objects.filter(step__in=open_steps)
        return sum(1 for r in queue.only("id", "identity_confirmed_at") if r.days_left() < 0)

    @cached_property
    def downloads(self):
        return downloads_since(self.now - timedelta(days=EXPORT_DAYS))

    @cached_property
    def house_rules(self):
        return HouseRulesVersion.objects.in_force()

    @cached_property
    def without_acceptance(self):
        return list(people_without_acceptance().values_list("username", flat=True))

    @cached_property
    def outsourcees(self):
        return list(register.entries().order_by("pk"))

    @cached_property
    def register_changed(self):
        return register.changed_since_policy()

    @cached_property
    def overdue_reviews(self):
        return reviews.overdue_periods(self.today)

    @cached_property
    def last_review(self):
        return AccessReview.objects.order_by("-period_start").first()

    @cached_property
    def statements(self):
        """The newest statement of each item."""
        newest = {}
        for statement in Statement.objects.select_related("recorded_by").order_by("recorded_at"):
            newest[statement.item] = statement
        return newest

    def next_check(self, kind):
        return security_checks.next_check(kind, self.today)


# Shared facts ----------------------------------------------------------------------------


def _link(name, text, *args):
    return reverse(name, args=args), text


def _people_link():
    return _link("admin:auth_user_changelist", _("利用者の一覧を開く"))


def _upkeep_link():
    return _link("upkeep:status", _("運用の状況を開く"))


def _register_link():
    return _link("admin:upkeep_securitycheck_changelist", _("診断と更新の記録を開く"))


def two_factor_fact(state):
    covered, total, missing = state.two_factor
    evidence = _("%(covered)s人／%(total)s人が二要素認証を設定済み。") % {
        "covered": covered,
        "total": total,
    }
    verdict = Verdict.MET
    if missing:
        evidence += " " + _("未設定: %(names)s。") % {"names": _("、").join(missing)}
        verdict = Verdict.NOT_MET
    if not settings.SHOPGUARD_REQUIRE_2FA:
        evidence += " " + _(
            "SHOPGUARD_REQUIRE_2FA が off で、サインインに二要素認証を求めていません。"
        )
        verdict = Verdict.NOT_MET
    return Finding(verdict, evidence, *_people_link())


def networks_fact(state, missing=Verdict.NOT_MET):
    networks = settings.SHOPGUARD_BACKOFFICE_NETWORKS
    if not networks:
        return Finding(missing, _("SHOPGUARD_BACKOFFICE_NETWORKS が空で、どこからでも開けます。"))
    evidence = _("管理画面は次のネットワークからだけ開けます: %(networks)s。") % {
        "networks": _("、").join(map(str, networks))
    }
    return Finding(Verdict.MET, evidence)


def lockout_fact(state):
    failures = settings.SHOPGUARD_SIGN_IN_FAILURES
    evidence = _("パスワードを%(failures)s回間違えると%(minutes)s分サインインできません。") % {
        "failures": failures,
        "minutes": settings.SHOPGUARD_SIGN_IN_LOCKOUT_MINUTES,
    }
    verdict = Verdict.MET if failures <= LOCKOUT_AT_MOST else Verdict.NOT_MET
    return Finding(verdict, evidence)


def sign_in_fact(state):
    return joined(lockout_fact(state), two_factor_fact(state))


def sign_in_registration_fact(state):
    found = sign_in_fact(state)
    how = _(
        "利用者は招待だけで加わり、メールアドレスや役割の変更には再認証が要ります"
        "（お客様のアカウントはショップのプラットフォーム側）。"
    )
    return Finding(found.verdict, found.evidence + " " + how, found.link, found.link_text)


def https_fact(state):
    if settings.SECURE_SSL_REDIRECT and settings.SESSION_COOKIE_SECURE:
        return Finding(Verdict.MET, _("HTTPS だけで開きます（SHOPGUARD_HTTPS が on）。"))
    return Finding(Verdict.NOT_MET, _("HTTPS に限っていません（SHOPGUARD_HTTPS が off）。"))


def password_fact(state):
    length = 0
    for validator in settings.AUTH_PASSWORD_VALIDATORS:
        if validator["NAME"].endswith("MinimumLengthValidator"):
            length = validator.get("OPTIONS", {}).get("min_length", 8)
    evidence = _(
        "パスワードは%(length)s文字以上。よく使われるものと利用者名に似たものは拒否します。"
    ) % {"length": length}
    if length >= STRONG_PASSWORD_LENGTH:
        return Finding(Verdict.MET, evidence)
    return Finding(Verdict.PARTLY if length >= 8 else Verdict.NOT_MET, evidence)


def admin_access_fact(state):
    networks = networks_fact(state, missing=Verdict.PARTLY)
    accounts = _("一人ひとりのアカウントと役割、パスワードは%(hasher)sで保存。") % {
        "hasher": settings.PASSWORD_HASHERS[0].rsplit(".", 1)[-1].replace("PasswordHasher", "")
    }
    return Finding(networks.verdict, networks.evidence + " " + accounts)


def account_notice_fact(state):
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
    evidence = _("パスワードや役割などアカウントの変更は、本人とオーナーにメールで知らせます。")
    if backend == "smtp":
        return Finding(Verdict.MET, evidence + " " + _("メールの送信: SMTP。"))
    evidence += " " + _(
        "メールは送られていません（EMAIL_URL が未設定、送信方法: %(backend)s）。"
    ) % {"backend": backend}
    return Finding(Verdict.PARTLY, evidence)


def ledger_fact(state):
    entry = state.verified
    link = _upkeep_link()
    if entry is None:
        return Finding(Verdict.NOT_MET, _("監査記録の改ざん検査の記録がありません。"), *link)
    when = show_datetime(entry.created_at)
    if not entry.detail.get("intact"):
        evidence = _("%(when)s の改ざん検査で異常が見つかりました。") % {"when": when}
        return Finding(Verdict.NOT_MET, evidence, *link)
    evidence = _("監査記録は改ざん検査済み（%(when)s、%(head)s番まで異常なし）。") % {
        "when": when,
        "head": entry.detail.get("head_seq"),
    }
    if state.now - entry.created_at > VERIFY_MAX_AGE:
        return Finding(Verdict.PARTLY, evidence + " " + _("1週間以上検査していません。"), *link)
    return Finding(Verdict.MET, evidence, *link)


def log_kept_fact(state):
    days = settings.AUDIT_RETENTION_DAYS
    evidence = _("監査記録の保存期間: %(days)s日（AUDIT_RETENTION_DAYS）。") % {"days": days}
    return Finding(Verdict.MET if days >= LOG_KEPT_DAYS else Verdict.PARTLY, evidence)


def checkpoint_fact(state):
    job = state.jobs["audit_checkpoint"]
    if not job.configured:
        evidence = _("AUDIT_SIGNING_KEY が未設定で、署名付きチェックポイントを作っていません。")
        return Finding(Verdict.PARTLY, evidence, *_upkeep_link())
    if job.overdue or job.last_failed:
        evidence = _("署名付きチェックポイントが予定どおり作られていません。")
        return Finding(Verdict.PARTLY, evidence, *_upkeep_link())
    return Finding(Verdict.MET, _("署名付きチェックポイントを毎日作っています。"))


def backup_fact(state):
    link = _upkeep_link()
    if not settings.BACKUP_RECIPIENT:
        return Finding(
            Verdict.NOT_MET, _("BACKUP_RECIPIENT が未設定で、バックアップを作れません。"), *link
        )
    entry = state.backup
    if entry is None:
        return Finding(Verdict.NOT_MET, _("バックアップの記録がありません。"), *link)
    evidence = _("最後の暗号化バックアップ: %(when)s。") % {"when": show_datetime(entry.created_at)}
    hours = settings.BACKUP_MAX_AGE_HOURS
    if state.now - entry.created_at > timedelta(hours=hours):
        evidence += " " + _("%(hours)s時間以上バックアップがありません。") % {"hours": hours}
        return Finding(Verdict.PARTLY, evidence, *link)
    return Finding(Verdict.MET, evidence, *link)


def logs_and_backups_fact(state):
    return joined(ledger_fact(state), log_kept_fact(state), backup_fact(state))


def job_fact(state, name):
    job = state.jobs[name]
    link = _upkeep_link()
    if not job.configured:
        return Finding(Verdict.NOT_MET, _("%(job)s: 未設定。") % {"job": job.label}, *link)
    if job.last_succeeded is None:
        evidence = _("%(job)s: まだ成功していません。") % {"job": job.label}
        return Finding(Verdict.NOT_MET, evidence, *link)
    evidence = _("%(job)s: 最後の成功 %(when)s。") % {
        "job": job.label,
        "when": show_datetime(job.last_succeeded),
    }
    if job.overdue or job.last_failed:
        return Finding(Verdict.NOT_MET, evidence + " " + _("予定どおり動いていません。"), *link)
    return Finding(Verdict.MET, evidence, *link)


def retention_fact(state):
    found = job_fact(state, "apply_retention")
    periods = _("保存期間: 顧客は最後の購入から%(customers)s年、購入履歴は%(purchases)s年。") % {
        "customers": settings.RETENTION_CUSTOMER_YEARS,
        "purchases": settings.RETENTION_PURCHASE_YEARS,
    }
    return Finding(found.verdict, periods + " " + found.evidence, found.link, found.link_text)


def _check_fact(state, kind, overdue_verdict):
    found = state.next_check(kind)
    link = _register_link()
    label = SecurityCheck.Kind(kind).label
    if found.last is None:
        return Finding(Verdict.NOT_MET, _("%(kind)s: 記録がありません。") % {"kind": label}, *link)
    evidence = _("最後の%(kind)s: %(day)s（%(by)s）。次の予定: %(due)s。") % {
        "kind": label,
        "day": show_date(found.last.done_on),
        "by": found.last.done_by,
        "due": show_date(found.due),
    }
    if found.state == security_checks.OVERDUE:
        return Finding(overdue_verdict, evidence + " " + _("予定を過ぎています。"), *link)
    if found.open_findings:
        return Finding(Verdict.PARTLY, evidence + " " + _("直していない指摘があります。"), *link)
    return Finding(Verdict.MET, evidence, *link)


def patches_fact(state):
    return _check_fact(state, SecurityCheck.Kind.PATCHES, Verdict.NOT_MET)


def diagnosis_fact(state):
    return _check_fact(state, SecurityCheck.Kind.DIAGNOSIS, Verdict.PARTLY)


def periodic_diagnosis_fact(state):
    return _check_fact(state, SecurityCheck.Kind.DIAGNOSIS, Verdict.NOT_MET)


def incident_response_fact(state):
    receivers = state.alert_receivers
    overdue = state.overdue_incident_deadlines
    evidence = _(
        "漏えい等の事案は事案のページで記録し、報告期限を数えます。"
        "警告をメールで受け取る人: %(receivers)s人。報告期限を過ぎた事案: %(overdue)s件。"
    ) % {"receivers": receivers, "overdue": overdue}
    link = _link("admin:incidents_incident_changelist", _("事案の一覧を開く"))
    if not receivers:
        return Finding(Verdict.NOT_MET, evidence, *link)
    return Finding(Verdict.PARTLY if overdue else Verdict.MET, evidence, *link)


def leak_report_fact(state):
    found = incident_response_fact(state)
    verdict = Verdict.NOT_MET if state.overdue_incident_deadlines else Verdict.MET
    return Finding(verdict, found.evidence, found.link, found.link_text)


def policy_fact(state):
    version = state.policy
    link = _link("privacy:current", _("公開中のポリシーを開く"))
    if version is None:
        return Finding(Verdict.NOT_MET, _("公開しているプライバシーポリシーがありません。"), *link)
    evidence = _("プライバシーポリシー第%(number)s版（%(day)s 施行）を公開しています。") % {
        "number": version.number,
        "day": show_date(version.effective_date) if version.effective_date else "—",
    }
    return Finding(Verdict.MET, evidence, *link)


def consent_fact(state):
    found = policy_fact(state)
    count = ConsentRecord.objects.count()
    evidence = found.evidence + " " + _("同意の記録: %(count)s件。") % {"count": count}
    return Finding(found.verdict, evidence, found.link, found.link_text)


def data_requests_fact(state):
    found = policy_fact(state)
    overdue = state.overdue_data_requests
    evidence = (
        found.evidence
        + " "
        + _(
            "お客様からの開示・訂正・利用停止・削除・提供停止の請求を受け付けています。"
            "期限を過ぎた請求: %(overdue)s件。"
        )
        % {"overdue": overdue}
    )
    verdict = weakest(found.verdict, Verdict.PARTLY if overdue else Verdict.MET)
    return Finding(verdict, evidence, found.link, found.link_text)


def provision_fact(state):
    count = ThirdPartyProvision.objects.count()
    evidence = _("第三者提供の記録: %(count)s件（3年間保存）。") % {"count": count}
    link = _link("admin:policy_thirdpartyprovision_changelist", _("第三者提供の記録を開く"))
    return Finding(Verdict.MET, evidence, *link)


def responsible_fact(state):
    owners = holders(RECEIVE_ALERTS).distinct().values_list("username", flat=True)
    names = sorted(owners)
    if not names:
        return Finding(Verdict.NOT_MET, _("有効なオーナーがいません。"), *_people_link())
    evidence = _("責任者（オーナー）: %(names)s。") % {"names": _("、").join(names)}
    return Finding(Verdict.MET, evidence, *_people_link())


def access_control_fact(state):
    counts, uncovered = state.revealers
    evidence = _("個人情報を表示できる人: %(roles)s。スタッフの表示は1時間あたりの上限つき。") % {
        "roles": _("、").join(
            _("%(role)s %(count)s人") % {"role": ROLE_LABELS[role], "count": n}
            for role, n in counts.items()
        )
    }
    if uncovered:
        evidence += " " + _("うち%(count)s人は二要素認証が未設定。") % {"count": uncovered}
        return Finding(Verdict.PARTLY, evidence, *_people_link())
    return Finding(Verdict.MET, evidence, *_people_link())


def outside_access_fact(state):
    return joined(https_fact(state), networks_fact(state, missing=Verdict.PARTLY))


def encryption_at_rest_fact(state):
    made = keys.key_date(current_key_id())
    evidence = _("個人情報は項目ごとに AES-256-GCM で暗号化して保存。")
    if made is None:
        return Finding(Verdict.MET, evidence + " " + _("暗号化の鍵の作成日は不明。"))
    age = (state.today - made).days
    evidence += " " + _("暗号化の鍵は%(days)s日前のもの。") % {"days": age}
    fresh = timedelta(days=age) <= KEY_MAX_AGE
    link = reverse("upkeep:status") + "#keys", _("鍵の状況を開く")
    return Finding(Verdict.MET if fresh else Verdict.PARTLY, evidence, *link)


def encryption_fact(state):
    return joined(encryption_at_rest_fact(state), https_fact(state))


def leak_in_use_fact(state):
    alerts = open_alerts().count()
    evidence = _(
        "画面では個人情報を伏せて表示し、表示には理由と記録が要ります。未確認の警告: %(count)s件。"
    ) % {"count": alerts}
    link = _link("admin:audit_alert_changelist", _("警告の一覧を開く"))
    return Finding(Verdict.PARTLY if alerts else Verdict.MET, evidence, *link)


def takeout_fact(state):
    downloads = state.downloads
    evidence = _(
        "持ち出しはパスワード付きの暗号化ファイルだけで、二人目の確認を経ます。"
        "過去30日間のダウンロード%(count)s件（うち自己承認%(self)s件）。"
    ) % {"count": downloads.downloaded, "self": downloads.self_approved}
    link = _link("exports:ledger", _("持ち出し記録を開く"))
    return Finding(Verdict.PARTLY if downloads.self_approved else Verdict.MET, evidence, *link)


def loss_prevention_fact(state):
    return joined(takeout_fact(state), leak_in_use_fact(state))


def safety_measures_fact(state):
    return joined(encryption_at_rest_fact(state), ledger_fact(state), two_factor_fact(state))


def minimum_data_fact(state):
    labels = _("、").join(str(field.label) for field in FIELDS)
    evidence = _("保存する個人情報はこの%(count)s項目だけ: %(labels)s。") % {
        "count": len(FIELDS),
        "labels": labels,
    }
    return Finding(Verdict.MET, evidence)


def small_business_fact(state):
    customers = Customer.objects.count()
    people = people_with_a_role().count()
    evidence = _("顧客%(customers)s人、利用者%(people)s人。") % {
        "customers": customers,
        "people": people,
    }
    if customers <= SMALL_BUSINESS_PERSONS and people <= SMALL_BUSINESS_STAFF:
        return Finding(Verdict.MET, evidence + " " + _("中小規模事業者の手法例が使えます。"))
    return Finding(Verdict.PARTLY, evidence + " " + _("中小規模事業者の範囲を超えています。"))


def test_data_apart_fact(state):
    role = DatabaseRole.objects.order_by("-marked_at").first()
    kind = role.get_kind_display() if role else _("本番")
    evidence = _(
        "このデータベース: %(kind)s。テスト用の複製は make_test_copy が個人情報を"
        "置き換えて作ります。"
    ) % {"kind": kind}
    if settings.DEBUG:
        return Finding(Verdict.PARTLY, evidence + " " + _("DEBUG が on です。"))
    return Finding(Verdict.MET, evidence)


def card_data_fact(state):
    evidence = _(
        "カード番号は入力・インポートのどこでも拒否し、決済代行会社のトークン・"
        "ブランド・下4桁・有効期限だけを保存します（非保持化）。"
    )
    return Finding(Verdict.MET, evidence)


def not_this_apps(reason):
    def fact(state):
        return Finding(Verdict.NOT_THIS_APPS, str(reason))

    return fact


def stated(state, item_id):
    """What a person stated for ``item_id`` (its newest statement)."""
    statement = state.statements.get(item_id)
    if statement is None:
        return Finding(Verdict.UNKNOWN, _("まだ記録されていません。"))
    verdict = {
        Statement.Answer.YES: Verdict.MET,
        Statement.Answer.PARTLY: Verdict.PARTLY,
        Statement.Answer.NO: Verdict.NOT_MET,
    }[statement.answer]
    evidence = _("%(who)s が確認（%(when)s、記録: %(by)s）。") % {
        "who": statement.stated_by,
        "when": show_datetime(statement.recorded_at),
        "by": statement.recorded_by.get_username(),
    }
    if statement.note:
        evidence += " " + statement.note
    return Finding(verdict, evidence)


def house_rules_fact(state):
    """Met when the house rules are published and every active person with a role has
    accepted the version in force (within the year, after its last material change)."""
    link = _link("admin:policy_houserulesversion_changelist", _("所内ルールを開く"))
    in_force = state.house_rules
    if in_force is None:
        return Finding(Verdict.NOT_MET, _("所内ルールがまだ公開されていません。"), *link)
    missing = state.without_acceptance
    evidence = _("所内ルール 第%(number)s版（%(date)s 公開）。") % {
        "number": in_force.number,
        "date": show_date(timezone.localdate(in_force.published_at)),
    }
    if not missing:
        return Finding(Verdict.MET, evidence + " " + _("全員が同意済み。"), *link)
    evidence += " " + _("まだ同意していない人: %(names)s。") % {"names": "、".join(missing)}
    return Finding(Verdict.NOT_MET, evidence, *link)


def outsourcees_fact(state):
    """Met when the register names the services in use, each one's security terms have
    been checked, and the policy in force says what the register says."""
    link = _link("admin:policy_outsourcee_changelist", _("委託先・提供先の登録簿を開く"))
    entries = state.outsourcees
    if not entries:
        return Finding(Verdict.NOT_MET, _("委託先・提供先の登録簿が空です。"), *link)
    evidence = _("登録簿に%(count)s件（データを保管する国: %(countries)s）。") % {
        "count": len(entries),
        "countries": "、".join(sorted({e.country for e in entries})),
    }
    unchecked = [e.name_ja for e in entries if e.terms_checked_on is None]
    if unchecked:
        evidence += " " + _("安全管理の条件を確認していない先: %(names)s。") % {
            "names": "、".join(unchecked)
        }
    if state.register_changed:
        evidence += " " + _("登録簿の変更がまだポリシーの新しい版になっていません。")
    if unchecked or state.register_changed:
        return Finding(Verdict.PARTLY, evidence, *link)
    return Finding(Verdict.MET, evidence + " " + _("すべての条件を確認済み。"), *link)


def access_review_fact(state):
    """Met when no finished period waits for its review past the grace days."""
    link = _link("admin:audit_accessreview_changelist", _("アクセスの点検を開く"))
    if state.overdue_reviews:
        evidence = _("点検の済んでいない期間: %(periods)s。") % {
            "periods": "、".join(str(p.label) for p in state.overdue_reviews)
        }
        return Finding(Verdict.NOT_MET, evidence, *link)
    last = state.last_review
    if last is None:
        return Finding(Verdict.MET, _("点検の期限が来た期間はまだありません。"), *link)
    evidence = _("最後の点検: %(start)s からの期間（%(when)s、%(who)s）。") % {
        "start": show_date(last.period_start),
        "when": show_datetime(last.reviewed_at),
        "who": last.reviewed_by_username,
    }
    return Finding(Verdict.MET, evidence, *link)


HOUSE_RULES = house_rules_fact
OUTSOURCEES = outsourcees_fact
ACCESS_REVIEW = access_review_fact


def reviewed_log_fact(state):
    return joined(ledger_fact(state), ACCESS_REVIEW(state))


@dataclass(frozen=True)
class Item:
    """One item of one checklist: what it asks, the fact function that answers it from
    the live state, and what to do when it is not met. ``manual``: only a person knows
    it (the owner records a ``Statement``); ``unconfirmed``: the source's own wording
    could not be read."""

    id: str
    checklist: str
    text: str | Promise
    fact: Callable[[State], Finding]
    todo: str | Promise
    manual: bool = False
    unconfirmed: bool = False

    def finding(self, state):
        if self.manual:
            return stated(state, self.id)
        return self.fact(state)


# Read in the language of each request (lazy texts).
ITEMS = [
    # IPA EC-site guideline
    Item(
        "ipa-4",
        "ipa",
        gettext_lazy("管理画面にアクセスできる端末を制限する（No.4）"),
        networks_fact,
        gettext_lazy(
            "サーバーの設定 SHOPGUARD_BACKOFFICE_NETWORKS に店舗のネットワークを書きます。"
        ),
    ),
    Item(
        "ipa-7",
        "ipa",
        gettext_lazy("会員登録・パスワード入力での不正ログイン対策（No.7）"),
        sign_in_fact,
        gettext_lazy("全員が二要素認証を設定し、SHOPGUARD_REQUIRE_2FA を on にします。"),
    ),
    Item(
        "ipa-8",
        "ipa",
        gettext_lazy("利用者の個人情報の安全管理措置（No.8）"),
        safety_measures_fact,
        gettext_lazy("改ざん検査と二要素認証を整え、鍵を1年ごとに更新します。"),
    ),
    Item(
        "ipa-10",
        "ipa",
        gettext_lazy("ログイン時の二要素認証（No.10）"),
        two_factor_fact,
        gettext_lazy("二要素認証が未設定の人に設定してもらいます。"),
    ),
    Item(
        "ipa-11",
        "ipa",
        gettext_lazy("パスワードの再設定・変更など重要な操作を本人に通知する（No.11）"),
        account_notice_fact,
        gettext_lazy("サーバーの設定 EMAIL_URL にメールの送信先を設定します。"),
    ),
    Item(
        "ipa-12",
        "ipa",
        gettext_lazy("取引のログとバックアップを取り（No.12）、保護する（No.13）"),
        logs_and_backups_fact,
        gettext_lazy("定期処理でバックアップと改ざん検査を毎日行います（保存は約1年）。"),
        unconfirmed=True,
    ),
    Item(
        "ipa-2",
        "ipa",
        gettext_lazy("サーバーと管理端末のソフトウェアを最新に保つ（No.2、運用時 必須要件1）"),
        patches_fact,
        gettext_lazy("更新したら「脆弱性診断・ソフトウェアの更新」に記録します（毎月）。"),
    ),
    Item(
        "ipa-3",
        "ipa",
        gettext_lazy("公開前に脆弱性診断を行い、見つかった問題を直す（No.3）"),
        diagnosis_fact,
        gettext_lazy("診断を受け、指摘を直して、その日を記録します。"),
    ),
    Item(
        "ipa-exec-5",
        "ipa",
        gettext_lazy("事故対応と復旧の体制（経営者向け 5）"),
        incident_response_fact,
        gettext_lazy("オーナーのメールアドレスを登録し、期限を過ぎた事案を報告します。"),
    ),
    Item(
        "ipa-exec-6",
        "ipa",
        gettext_lazy("委託先・外部サービスとのセキュリティの取り決め（経営者向け 6）"),
        OUTSOURCEES,
        gettext_lazy("委託先の台帳に各サービスと取り決めを確認した日を記録します。"),
    ),
    # The card-security guideline
    Item(
        "card-1",
        "card",
        gettext_lazy("カード情報の非保持化（または PCI DSS 準拠）"),
        card_data_fact,
        gettext_lazy("カード番号を保存しない運用を続けます。"),
    ),
    Item(
        "card-2",
        "card",
        gettext_lazy(
            "管理画面のアクセス制限（IP制限・ベーシック認証）と管理者の ID・パスワード管理"
        ),
        admin_access_fact,
        gettext_lazy("SHOPGUARD_BACKOFFICE_NETWORKS で接続元を制限します。"),
    ),
    Item(
        "card-3",
        "card",
        gettext_lazy("管理画面のサインインに二段階または二要素の認証"),
        two_factor_fact,
        gettext_lazy("二要素認証が未設定の人に設定してもらいます。"),
    ),
    Item(
        "card-4",
        "card",
        gettext_lazy("サインインに繰り返し失敗したらアカウントをロックする"),
        lockout_fact,
        gettext_lazy("失敗の回数を6回以下にします。"),
        unconfirmed=True,
    ),
    Item(
        "card-5",
        "card",
        gettext_lazy("公開ディレクトリに重要なファイルを置かない・アップロードの種類を制限"),
        not_this_apps(
            gettext_lazy(
                "お店のサイトとそのファイルはショップのプラットフォームにあります。"
                "ShopGuard は公開の場所にファイルを置きません（持ち出しは期限つきの"
                "ダウンロードだけ）。"
            )
        ),
        "",
    ),
    Item(
        "card-6",
        "card",
        gettext_lazy("定期的な脆弱性診断またはペネトレーションテストと対応"),
        periodic_diagnosis_fact,
        gettext_lazy("年に1回診断を受け、記録します。"),
    ),
    Item(
        "card-7",
        "card",
        gettext_lazy("サーバーと管理端末のウイルス対策"),
        stated,
        gettext_lazy("事務所のPCとサーバーのウイルス対策を確かめて記録します。"),
        manual=True,
    ),
    Item(
        "card-8",
        "card",
        gettext_lazy("カード番号の不正な試行（クレジットマスター）への対策"),
        not_this_apps(
            gettext_lazy(
                "カード番号は決済代行会社の画面で入力され、ShopGuard は決済を"
                "受け付けません。決済代行会社の対策を確認してください。"
            )
        ),
        "",
    ),
    Item(
        "card-9",
        "card",
        gettext_lazy("サインイン・会員登録・属性変更時の不正ログイン対策（2025年4月から必須）"),
        sign_in_registration_fact,
        gettext_lazy("全員が二要素認証を設定します。"),
    ),
    Item(
        "card-10",
        "card",
        gettext_lazy("決済時の EMV 3-D セキュア（決済代行会社の側。有効であることを記録）"),
        stated,
        gettext_lazy("決済代行会社の管理画面で3-Dセキュアが有効か確かめて記録します。"),
        manual=True,
    ),
    # The PPC's 安全管理措置
    Item(
        "ppc-policy",
        "ppc",
        gettext_lazy("基本方針の策定（プライバシーポリシー）"),
        policy_fact,
        gettext_lazy("プライバシーポリシーを公開します。"),
    ),
    Item(
        "ppc-rules",
        "ppc",
        gettext_lazy("個人データの取扱いの規律（取扱規程）と規律に従った運用"),
        HOUSE_RULES,
        gettext_lazy("店の取扱規程を定め、全員に同意してもらいます。"),
    ),
    Item(
        "ppc-org-responsible",
        "ppc",
        gettext_lazy("組織的: 責任者を決める"),
        responsible_fact,
        gettext_lazy("オーナーを一人以上置きます。"),
    ),
    Item(
        "ppc-org-records",
        "ppc",
        gettext_lazy(
            "組織的: 取扱いの状況を確認する手段（記録を取り、漏えい・改ざん・削除から守る）"
        ),
        lambda state: joined(ledger_fact(state), checkpoint_fact(state)),
        gettext_lazy("改ざん検査とチェックポイントを定期処理で毎日行います。"),
    ),
    Item(
        "ppc-org-review",
        "ppc",
        gettext_lazy("組織的: 記録を定期的に点検し、取扱いを見直す（FAQ Q10-20）"),
        ACCESS_REVIEW,
        gettext_lazy("毎月アクセスの記録を点検し、点検済みにします。"),
    ),
    Item(
        "ppc-org-leak",
        "ppc",
        gettext_lazy("組織的: 漏えい等に対応する体制"),
        incident_response_fact,
        gettext_lazy("オーナーのメールアドレスを登録し、事案を期限内に報告します。"),
    ),
    Item(
        "ppc-human",
        "ppc",
        gettext_lazy("人的: 従業者の教育と監督（秘密保持の誓約）"),
        HOUSE_RULES,
        gettext_lazy("全員に取扱規程への誓約をしてもらいます。"),
    ),
    Item(
        "ppc-physical-areas",
        "ppc",
        gettext_lazy("物理的: 取り扱う区域の管理と機器の盗難防止"),
        stated,
        gettext_lazy("事務所のPCの施錠や画面ののぞき見対策を確かめて記録します。"),
        manual=True,
    ),
    Item(
        "ppc-physical-media",
        "ppc",
        gettext_lazy("物理的: 電子媒体を持ち運ぶときの漏えい防止"),
        takeout_fact,
        gettext_lazy("自己承認のエクスポートをやめ、二人目の確認を経ます。"),
    ),
    Item(
        "ppc-physical-disposal",
        "ppc",
        gettext_lazy("物理的: 個人データの削除と機器の廃棄"),
        retention_fact,
        gettext_lazy("定期処理で保存期間を過ぎたデータの削除を毎日行います。"),
    ),
    Item(
        "ppc-tech-access",
        "ppc",
        gettext_lazy("技術的: アクセス制御"),
        access_control_fact,
        gettext_lazy("個人情報を表示できる人全員に二要素認証を設定してもらいます。"),
    ),
    Item(
        "ppc-tech-auth",
        "ppc",
        gettext_lazy("技術的: アクセス者の識別と認証"),
        two_factor_fact,
        gettext_lazy("二要素認証が未設定の人に設定してもらいます。"),
    ),
    Item(
        "ppc-tech-outside",
        "ppc",
        gettext_lazy("技術的: 外部からの不正アクセスの防止"),
        outside_access_fact,
        gettext_lazy("HTTPS で公開し、管理画面の接続元を制限します。"),
    ),
    Item(
        "ppc-tech-leak",
        "ppc",
        gettext_lazy("技術的: 情報システムの使用に伴う漏えいの防止"),
        leak_in_use_fact,
        gettext_lazy("警告を確認し、必要なら事案として記録します。"),
    ),
    Item(
        "ppc-foreign",
        "ppc",
        gettext_lazy(
            "外的環境の把握: 外国で個人データを扱う場合（外国のクラウドを含む）、"
            "その国の制度を把握し、国名を本人に知らせる"
        ),
        OUTSOURCEES,
        gettext_lazy("委託先の台帳に保存国を記録し、ポリシーで公表します。"),
    ),
    Item(
        "ppc-small",
        "ppc",
        gettext_lazy("中小規模事業者（従業者100人以下、過去6か月の本人の数5,000以下）の特例"),
        small_business_fact,
        gettext_lazy("中小規模事業者ではないので、手法例をすべて行います。"),
    ),
    # Shopify Level 1
    Item(
        "shopify-1-minimum",
        "shopify1",
        gettext_lazy("必要最小限のデータだけを扱う"),
        minimum_data_fact,
        "",
    ),
    Item(
        "shopify-1-tell",
        "shopify1",
        gettext_lazy("どのデータをなぜ使うかをマーチャントに伝える"),
        not_this_apps(
            gettext_lazy("ShopGuard はお店自身の道具で、他の店に配るアプリではありません。")
        ),
        "",
    ),
    Item(
        "shopify-1-purposes",
        "shopify1",
        gettext_lazy("示した目的のためだけに処理する"),
        policy_fact,
        gettext_lazy("利用目的を書いたプライバシーポリシーを公開します。"),
    ),
    Item(
        "shopify-1-consent",
        "shopify1",
        gettext_lazy("同意を尊重する"),
        consent_fact,
        gettext_lazy("プライバシーポリシーを公開し、同意を記録します。"),
    ),
    Item(
        "shopify-1-opt-out",
        "shopify1",
        gettext_lazy("共有・販売のオプトアウトを尊重する"),
        data_requests_fact,
        gettext_lazy("期限を過ぎた請求に対応します。"),
    ),
    Item(
        "shopify-1-automated",
        "shopify1",
        gettext_lazy("重大な影響のある自動的な判断のオプトアウト"),
        not_this_apps(gettext_lazy("ShopGuard はお客様について自動的な判断をしません。")),
        "",
    ),
    Item(
        "shopify-1-agreements",
        "shopify1",
        gettext_lazy("マーチャントとのプライバシーの取り決め"),
        not_this_apps(
            gettext_lazy("ShopGuard はお店自身の道具で、他の店に配るアプリではありません。")
        ),
        "",
    ),
    Item(
        "shopify-1-retention",
        "shopify1",
        gettext_lazy("保存期間を決める"),
        retention_fact,
        gettext_lazy("定期処理で保存期間を過ぎたデータの削除を毎日行います。"),
    ),
    Item(
        "shopify-1-encryption",
        "shopify1",
        gettext_lazy("保存時と通信時の暗号化"),
        encryption_fact,
        gettext_lazy("HTTPS で公開し、鍵を1年ごとに更新します。"),
    ),
    # Shopify Level 2
    Item(
        "shopify-2-backups",
        "shopify2",
        gettext_lazy("バックアップの暗号化"),
        backup_fact,
        gettext_lazy("BACKUP_RECIPIENT を設定し、定期処理で毎日バックアップを作ります。"),
    ),
    Item(
        "shopify-2-test-data",
        "shopify2",
        gettext_lazy("テストのデータと本番のデータを分ける"),
        test_data_apart_fact,
        gettext_lazy("本番では DEBUG を off にし、テストには make_test_copy を使います。"),
    ),
    Item(
        "shopify-2-loss",
        "shopify2",
        gettext_lazy("データ損失防止の方針"),
        loss_prevention_fact,
        gettext_lazy("自己承認のエクスポートをやめ、警告を確認します。"),
    ),
    Item(
        "shopify-2-staff-access",
        "shopify2",
        gettext_lazy("スタッフのアクセスを限る"),
        access_control_fact,
        gettext_lazy("個人情報を表示できる人全員に二要素認証を設定してもらいます。"),
    ),
    Item(
        "shopify-2-passwords",
        "shopify2",
        gettext_lazy("スタッフの強いパスワード"),
        password_fact,
        gettext_lazy("パスワードの最小文字数を12文字以上にします。"),
    ),
    Item(
        "shopify-2-access-log",
        "shopify2",
        gettext_lazy("アクセスの記録を取り、点検する"),
        reviewed_log_fact,
        gettext_lazy("改ざん検査を毎日行い、毎月アクセスの記録を点検します。"),
    ),
    Item(
        "shopify-2-incidents",
        "shopify2",
        gettext_lazy("事故対応の方針"),
        incident_response_fact,
        gettext_lazy("オーナーのメールアドレスを登録し、事案を期限内に報告します。"),
    ),
    # APPI
    Item(
        "appi-22",
        "appi",
        gettext_lazy("第22条: 不要になった個人データを遅滞なく消去する（努力義務）"),
        retention_fact,
        gettext_lazy("定期処理で保存期間を過ぎたデータの削除を毎日行います。"),
    ),
    Item(
        "appi-23",
        "appi",
        gettext_lazy("第23条: 安全管理措置"),
        safety_measures_fact,
        gettext_lazy("改ざん検査と二要素認証を整え、鍵を1年ごとに更新します。"),
    ),
    Item(
        "appi-24",
        "appi",
        gettext_lazy("第24条: 従業者の監督"),
        HOUSE_RULES,
        gettext_lazy("全員に取扱規程への誓約をしてもらいます。"),
    ),
    Item(
        "appi-25",
        "appi",
        gettext_lazy("第25条: 委託先の監督"),
        OUTSOURCEES,
        gettext_lazy("委託先の台帳に各サービスと取り決めを確認した日を記録します。"),
    ),
    Item(
        "appi-26",
        "appi",
        gettext_lazy("第26条: 漏えい等の報告（速報3〜5日、確報30日または60日）と本人への通知"),
        leak_report_fact,
        gettext_lazy("期限を過ぎた報告を済ませます。"),
    ),
    Item(
        "appi-27",
        "appi",
        gettext_lazy("第27〜30条: 第三者提供（同意、記録を3年保存。委託先には記録不要）"),
        provision_fact,
        gettext_lazy("第三者に提供したら記録します。"),
    ),
    Item(
        "appi-32",
        "appi",
        gettext_lazy(
            "第32〜35条: 公表事項（利用目的・請求の手続・安全管理措置・外国）と本人からの請求"
        ),
        data_requests_fact,
        gettext_lazy("プライバシーポリシーを公開し、期限を過ぎた請求に対応します。"),
    ),
]

ITEMS_BY_ID = {item.id: item for item in ITEMS}
MANUAL_ITEMS = [item for item in ITEMS if item.manual]


@dataclass(frozen=True)
class Result:
    item: Item
    finding: Finding

    @property
    def verdict(self):
        return Verdict(self.finding.verdict)

    @property
    def needs_work(self):
        return self.verdict in (Verdict.NOT_MET, Verdict.PARTLY, Verdict.UNKNOWN)


@dataclass(frozen=True)
class Group:
    checklist: Checklist
    results: list[Result]


def evaluate(state=None):
    """Every item with its finding, grouped by checklist in the page's order."""
    state = state or State()
    groups = []
    for checklist in CHECKLISTS:
        results = [
            Result(item, item.finding(state)) for item in ITEMS if item.checklist == checklist.key
        ]
        groups.append(Group(checklist, results))
    return groups


def tally(groups):
    """How many items have each verdict, in the order of ``Verdict``."""
    counts = dict.fromkeys(Verdict, 0)
    for group in groups:
        for result in group.results:
            counts[result.verdict] += 1
    return [(verdict, counts[verdict]) for verdict in Verdict]
