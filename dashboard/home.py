"""The home page (the admin index) as a dashboard for each person.

Each app says its own facts through a small function (``exports.services.pending_for``,
``datarequests.services.requests_due_for``, ``audit.alerts.unacknowledged_for``,
``audit.activity``, ``accounts.posture``); this module only assembles them, each section
for whoever holds the permission its page asks. Nothing here decrypts: the page holds
counts, days, reference numbers and the shop's people's usernames, never a customer's
value.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from accounts import posture, rules
from audit import activity, reviews
from audit.actions import SIGN_IN_FAILURES, Action
from audit.alerts import RECEIVE_ALERTS, open_alerts, unacknowledged_for
from customers.services import reveals_left
from dashboard.charts import BarChart, Series, counts_by_day
from datarequests.services import requests_due_for
from exports.services import downloads_since, pending_for
from incidents.deadlines import open_deadlines
from policy.rules import people_without_acceptance
from shipping.services import label_work_today
from upkeep import schedule, security_checks
from upkeep.models import SecurityCheck
from vault import keys, limits
from vault.encryption import current_key_id
from vault.roles import ROLE_LABELS

# A field key older than a year should be replaced (rotate_keys): a key that leaked
# unnoticed with an old laptop then opens nothing written after the rotation.
KEY_MAX_AGE = timedelta(days=365)
# verify_audit belongs in a weekly routine at least: a week-old proof is still fresh.
VERIFY_MAX_AGE = timedelta(days=7)

LOST_DEVICE = gettext_lazy("USBメモリやノートPCの紛失 → 暗号化と鍵")
MISDIRECTED = gettext_lazy("メールの誤送信 → エクスポートと承認")
INSIDER = gettext_lazy("内部からの持ち出し → 表示・警告・二要素認証")
OUTSIDER = gettext_lazy("店の外からの不正なサインイン → 接続元の制限・二要素認証")


@dataclass
class Check:
    """One line of the posture checklist: what it guards, what was found, OK or not."""

    leak_path: str
    subject: str
    finding: str
    ok: bool
    link: str = ""  # where it is put right
    link_text: str = ""


def dashboard_for(request):
    """The template context of the home page for ``request.user``: each section for
    whoever holds the permission of the page it leads to."""
    user = request.user
    context = {
        "may_approve_exports": user.has_perm("exports.approve_exportrequest"),
        "receives_alerts": user.has_perm(RECEIVE_ALERTS),
    }
    if user.has_perm("exports.view_exportrequest"):
        context["waiting_exports"] = [waiting_export(e, user) for e in pending_for(user)]
    if user.has_perm("shipping.view_shipment"):
        work = label_work_today()
        if work.waiting or work.files_today:
            context["label_work"] = work
            context["shipping_url"] = reverse("shipping:list")
    if user.has_perm("datarequests.change_datarequest"):
        context["waiting_data_requests"] = requests_due_for(user)
    if user.has_perm("audit.view_alert"):
        context["open_alerts"] = list(unacknowledged_for(user)[:20])
        context["new_owners"] = new_owners()
    if user.has_perm("incidents.view_incident"):
        context["incident_deadlines"] = open_deadlines()
    if user.has_perm("audit.view_auditentry"):
        # The shop's posture names people (two-factor): it is part of reviewing the ledger.
        context["posture"] = posture_checks(user)
        context["ledger_url"] = reverse("admin:audit_auditentry_changelist")
    if user.has_perm("dashboard.view_evidence"):
        context["evidence_url"] = reverse("dashboard:evidence")
    if user.has_perm("audit.view_accessreview"):
        context["overdue_reviews"] = overdue_reviews()
        context["may_review_access"] = reviews.may_review(user)
        context["reviews_url"] = reverse("admin:audit_accessreview_changelist")
    if user.has_perm("exports.view_takeout_ledger"):
        context["takeout_url"] = reverse("exports:ledger")
    elif user.has_perm("exports.view_exportrequest"):
        # The take-out ledger lists every export; without it, one's own requests' list.
        context["exports_url"] = reverse("exports:list")
    left = reveals_left(user)
    if left is not None:  # staff reveal within an hourly quota
        context["has_reveal_quota"] = True
        context["reveals_left"] = left
        context["reveals_per_hour"] = limits.STAFF_REVEALS.number
    if user.has_perm("customers.view_customer"):
        context["customers_url"] = reverse("admin:customers_customer_changelist")
    if user.has_perm("audit.view_activity"):
        context["charts"] = charts_for(user)
    return context


def overdue_reviews():
    """The periods of access still unreviewed past their grace (audit.reviews): each
    period's name and page."""
    return [
        {
            "label": period.label,
            "url": reverse("admin:audit_accessreview_period", args=[period.key]),
        }
        for period in reviews.overdue_periods()
    ]


def new_owners():
    """The people made owner within the cooling-off period, who made them so, and when
    the period ends (accounts.rules.new_owners): usernames and dates only."""
    appointments = rules.new_owners()
    names = dict(
        get_user_model()
        .objects.filter(pk__in=[a.person_id for a in appointments])
        .values_list("pk", "username")
    )
    return [
        {
            "username": names.get(a.person_id, "—"),
            "by": a.by_username,
            "since": show_datetime(a.at),
            "until": show_datetime(a.at + rules.cooling_off_period()),
        }
        for a in appointments
    ]


def waiting_export(export, user):
    """What the home page shows of a waiting export request (no purpose, no fields):
    ``to_check`` when ``user`` is its second person rather than its requester."""
    return {
        "pk": export.pk,
        "to_check": export.requested_by_id != user.pk,
        "requested_by": export.requested_by.get_username(),
        "recipient": export.get_recipient_display(),
        "status": export.get_status_display(),
        "requested_at": show_datetime(export.requested_at),
    }


# The posture checklist -----------------------------------------------------------------


def posture_checks(user=None):
    """The shop's posture, one line per defence, each mapped to the leak path it guards
    and linked to the page where it is put right."""
    checks = [
        two_factor_check(user),
        back_office_networks_check(),
        revealers_check(user),
        house_rules_check(user),
        alerts_check(),
        key_check(),
        verification_check(),
        backup_check(),
        jobs_check(),
        *security_check_reminders(),
        exports_check(),
    ]
    for check in checks:
        if check.link == UPKEEP:
            check.link, check.link_text = reverse("upkeep:status"), _("運用の状況を開く")
    return checks


# Marks the checks put right on the upkeep page (its URL is resolved per request).
UPKEEP = "upkeep"


def _people_link(user):
    if user is not None and user.has_perm("auth.view_user"):
        return reverse("admin:auth_user_changelist"), _("利用者の一覧を開く")
    return "", ""


def two_factor_check(user=None):
    covered, total, missing = posture.two_factor_coverage()
    finding = _("%(covered)s人／%(total)s人が二要素認証を設定済み") % {
        "covered": covered,
        "total": total,
    }
    if missing:
        finding += " " + _("未設定: %(names)s") % {"names": _("、").join(missing)}
    check = Check(INSIDER, _("二要素認証"), finding, not missing)
    if user is not None and user.get_username() in missing:
        check.link, check.link_text = (
            reverse("accounts:two_factor_setup"),
            _("自分の二要素認証を設定する"),
        )
    elif missing:
        check.link, check.link_text = _people_link(user)
    return check


def back_office_networks_check():
    """Whether the back office is limited to the shop's networks (the IPA's EC-site
    guideline asks for it; the card-security guideline requires it)."""
    networks = settings.SHOPGUARD_BACKOFFICE_NETWORKS
    subject = _("管理画面の接続元")
    if not networks:
        finding = _(
            "どこからでも開けます（SHOPGUARD_BACKOFFICE_NETWORKS で店舗のネットワークに"
            "限ることができます）"
        )
        return Check(OUTSIDER, subject, finding, False)
    finding = _("次のネットワークからだけ開けます: %(networks)s") % {
        "networks": _("、").join(networks)
    }
    return Check(OUTSIDER, subject, finding, True)


def revealers_check(user=None):
    counts, uncovered = posture.revealers_by_role()
    finding = _("、").join(
        _("%(role)s %(count)s人") % {"role": ROLE_LABELS[role], "count": n}
        for role, n in counts.items()
    )
    if uncovered:
        finding += " " + _("（うち%(count)s人は二要素認証が未設定）") % {"count": uncovered}
    check = Check(INSIDER, _("個人情報を表示できる人"), finding, not uncovered)
    check.link, check.link_text = _people_link(user)
    return check


def house_rules_check(user=None):
    """Who has not accepted the house rules in force (policy.rules): usernames only."""
    waiting = list(people_without_acceptance().values_list("username", flat=True))
    subject = _("所内ルールへの同意")
    if not waiting:
        check = Check(INSIDER, subject, _("全員が所内ルールに同意済み"), True)
    else:
        finding = _("未同意: %(names)s") % {"names": _("、").join(waiting)}
        check = Check(INSIDER, subject, finding, False)
    if user is not None and user.has_perm("policy.view_houserulesversion"):
        check.link = reverse("admin:policy_houserulesversion_changelist")
        check.link_text = _("所内ルールを開く")
    return check


def alerts_check():
    count = open_alerts().count()
    if not count:
        return Check(INSIDER, _("警告"), _("未確認の警告はありません"), True)
    finding = _("未確認の警告が%(count)s件あります") % {"count": count}
    link = reverse("admin:audit_alert_changelist")
    return Check(INSIDER, _("警告"), finding, False, link, _("警告の一覧を開く"))


def key_check():
    """The encrypting key's age (from its id) and the last ``rotate_keys`` run."""
    rotation = activity.last_entry(Action.KEYS_ROTATE)
    made = keys.key_date(current_key_id())
    since = made or (timezone.localdate(rotation.created_at) if rotation else None)
    parts = []
    if since is None:
        parts.append(_("鍵の作成日がわかりません"))
    else:
        age = (timezone.localdate() - since).days
        parts.append(_("暗号化の鍵は%(days)s日前のもの") % {"days": age})
    if rotation is None:
        parts.append(_("鍵の更新の記録はありません"))
    else:
        parts.append(_("最後の鍵の更新: %(when)s") % {"when": show_datetime(rotation.created_at)})
    leftover = _values_under_old_keys(rotation)
    if leftover:
        parts.append(_("古い鍵のままの値が%(count)s件あります") % {"count": leftover})
    fresh = since is not None and timezone.localdate() - since <= KEY_MAX_AGE
    check = Check(LOST_DEVICE, _("暗号化の鍵"), _("、").join(parts), fresh and not leftover)
    check.link, check.link_text = reverse("upkeep:status") + "#keys", _("鍵の状況を開く")
    return check


def _values_under_old_keys(rotation):
    if rotation is None:
        return 0
    after, current = rotation.detail.get("after", {}), rotation.detail.get("key_id")
    return sum(n for key_id, n in after.items() if key_id != current)


def verification_check():
    """The last ``verify_audit`` verdict (its ``audit.verified`` entry)."""
    entry = activity.last_entry(Action.AUDIT_VERIFIED)
    subject = _("監査記録の改ざん検査")
    if entry is None:
        finding = _("検査の記録はありません（運用の状況のページから検査できます）")
        return Check(INSIDER, subject, finding, False, UPKEEP)
    when = show_datetime(entry.created_at)
    if not entry.detail.get("intact"):
        finding = _("%(when)s の検査で%(seq)s番の監査記録に異常が見つかりました") % {
            "when": when,
            "seq": entry.detail.get("bad_seq") or "?",
        }
        return Check(INSIDER, subject, finding, False, UPKEEP)
    finding = _("%(when)s の検査で異常なし（%(head)s番まで）") % {
        "when": when,
        "head": entry.detail.get("head_seq"),
    }
    recent = timezone.now() - entry.created_at <= VERIFY_MAX_AGE
    if not recent:
        finding += " " + _("1週間以上検査していません")
    return Check(INSIDER, subject, finding, recent, UPKEEP)


def backup_check():
    """The last ``backup`` (its ``backup.made`` entry); 要確認 when older than
    ``BACKUP_MAX_AGE_HOURS``."""
    entry = activity.last_entry(Action.BACKUP_MADE)
    subject = _("バックアップ")
    if entry is None:
        finding = _("バックアップの記録はありません（定期処理が毎日作ります）")
        return Check(LOST_DEVICE, subject, finding, False, UPKEEP)
    finding = _("最後のバックアップ: %(when)s（顧客%(customers)s人）") % {
        "when": show_datetime(entry.created_at),
        "customers": entry.detail.get("counts", {}).get("customers", "?"),
    }
    hours = settings.BACKUP_MAX_AGE_HOURS
    recent = timezone.now() - entry.created_at <= timedelta(hours=hours)
    if not recent:
        finding += " " + _("%(hours)s時間以上バックアップがありません") % {"hours": hours}
    return Check(LOST_DEVICE, subject, finding, recent, UPKEEP)


def jobs_check():
    """The scheduled jobs: each one's last success, those that have not run when due."""
    found = schedule.statuses()
    late = [str(job.label) for job in found if job.overdue or job.last_failed]
    unset = [str(job.label) for job in found if not job.configured]
    finding = _("定期処理%(total)s件のうち%(fine)s件が予定どおり") % {
        "total": len(found),
        "fine": len(found) - len(set(late) | set(unset)),
    }
    if late:
        finding += " " + _("遅れ・失敗: %(names)s") % {"names": _("、").join(late)}
    if unset:
        finding += " " + _("未設定: %(names)s") % {"names": _("、").join(unset)}
    return Check(LOST_DEVICE, _("定期処理"), finding, not late and not unset, UPKEEP)


def security_check_reminders(today=None):
    """The next vulnerability diagnosis and software update (upkeep's register): a
    reminder when one is due within ``SECURITY_CHECK_REMINDER_DAYS``, overdue or never
    recorded."""
    link = reverse("admin:upkeep_securitycheck_changelist"), _("診断と更新の記録を開く")
    checks = []
    for found in security_checks.next_checks(today):
        subject = SecurityCheck.Kind(found.kind).label
        if found.last is None:
            finding = _("記録がありません")
        else:
            finding = _("最後: %(day)s、次の予定: %(due)s") % {
                "day": show_date(found.last.done_on),
                "due": show_date(found.due),
            }
            if found.state == security_checks.OVERDUE:
                finding += " " + _("予定を過ぎています")
            elif found.state == security_checks.SOON:
                finding += " " + _("まもなく予定日です")
            if found.open_findings:
                finding += " " + _("直していない指摘があります")
        ok = found.state == security_checks.OK and not found.open_findings
        checks.append(Check(OUTSIDER, subject, finding, ok, *link))
    return checks


def exports_check():
    since = timezone.now() - timedelta(days=activity.CHART_DAYS)
    downloads = downloads_since(since)
    finding = _("過去30日間のダウンロード%(count)s件（うち自己承認%(self)s件）") % {
        "count": downloads.downloaded,
        "self": downloads.self_approved,
    }
    link = reverse("exports:ledger")
    return Check(
        MISDIRECTED,
        _("エクスポート"),
        finding,
        not downloads.self_approved,
        link,
        _("持ち出し記録を開く"),
    )


# The charts ---------------------------------------------------------------------------


def charts_for(user):
    """The charts ``user`` sees: per person for who reads the ledger (owner and auditor),
    else the shop's totals (the manager: no one's name); exports; refused sign-ins for
    who reads the ledger."""
    days = activity.chart_days()
    reads_ledger = user.has_perm("audit.view_auditentry")
    charts = []
    if reads_ledger:
        charts += person_charts(days)
    else:
        charts.append(shop_activity_chart(days))
    charts.append(export_chart(days))
    if reads_ledger:
        charts.append(sign_in_chart(days))
    return charts


def _activity_series(days, counts, *person):
    return [
        Series(
            _("閲覧した顧客"),
            "bar-viewed",
            counts_by_day(days, counts, Action.CUSTOMER_VIEW, *person),
        ),
        Series(
            _("表示した値"),
            "bar-revealed",
            counts_by_day(days, counts, Action.CUSTOMER_REVEAL, *person),
        ),
    ]


def person_charts(days):
    """One chart per person who opened or revealed anything, busiest first (one query)."""
    counts = activity.customer_activity(per_person=True)
    totals = {}
    for (_day, _action, name), n in counts.items():
        totals[name] = totals.get(name, 0) + n
    people = sorted(totals, key=lambda name: (-totals[name], name))
    return [
        BarChart(
            f"person-{i}",
            _("%(name)s の顧客の閲覧と表示") % {"name": name},
            days,
            _activity_series(days, counts, name),
            show_date,
        )
        for i, name in enumerate(people, 1)
    ] or [BarChart("person-0", _("顧客の閲覧と表示"), days, _activity_series(days, {}), show_date)]


def shop_activity_chart(days):
    counts = activity.customer_activity(per_person=False)
    title = _("店全体の顧客の閲覧と表示")
    return BarChart("shop-activity", title, days, _activity_series(days, counts), show_date)


def export_chart(days):
    counts = activity.export_activity()
    return BarChart(
        "exports",
        _("エクスポート"),
        days,
        [
            Series(_("申請"), "bar-requested", counts_by_day(days, counts, Action.EXPORT_REQUEST)),
            Series(
                _("ダウンロード"),
                "bar-downloaded",
                counts_by_day(days, counts, Action.EXPORT_DOWNLOAD),
            ),
        ],
        show_date,
    )


def sign_in_chart(days):
    counts = activity.refused_sign_ins()
    refused = [sum(counts.get((day, str(a)), 0) for a in SIGN_IN_FAILURES) for day in days]
    return BarChart(
        "refused-sign-ins",
        _("拒否されたサインイン"),
        days,
        [Series(_("拒否されたサインイン"), "bar-refused", refused)],
        show_date,
    )


# Dates as people read them --------------------------------------------------------------


def show_datetime(moment):
    """``2026年12月2日 14:05`` in Japanese, ``2 Dec 2026, 14:05`` in English (Japan time)."""
    local = timezone.localtime(moment)
    if (get_language() or "ja").startswith("en"):
        return f"{local.day} {local:%b %Y, %H:%M}"
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def show_date(day):
    if (get_language() or "ja").startswith("en"):
        return f"{day.day} {day:%b %Y}"
    return f"{day.year}年{day.month}月{day.day}日"
