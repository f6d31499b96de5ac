"""The home page as a dashboard: each role sees its own waiting items and not others',
the charts count exactly the ledger's entries by Japan-time day, the posture reads the
commands' records, and the page never holds a customer's value."""

import re
from datetime import datetime, time, timedelta
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.actions import Action, Outcome
from audit.activity import customer_activity, daily_counts
from audit.ledger import record
from customers.models import Customer
from datarequests.models import DataRequest
from exports import services
from tests.factories import make_person
from vault.roles import OWNER

HOME = "/admin/"
MARKER_NAME, MARKER_EMAIL = "目印 ダッシュ子", "dash.marker@example.jp"


@pytest.fixture
def marker(db):
    return Customer.objects.create(name=MARKER_NAME, email=MARKER_EMAIL, phone="090-1234-9876")


def home(client, user):
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response


def manager_export(people):
    return services.request_export(
        people.bob, purpose="発送用", recipient="contractor", fields=["name", "address"]
    )


def chart(response, key):
    return next(c for c in response.context["charts"] if c.key == key)


def series(found, label_class):
    return next(s for s in found.series if s.css_class == label_class).counts


# Who sees what --------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_sign_in(client, db):
    response = client.get(HOME)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_owner_sees_others_exports_to_approve_with_a_link(client, people):
    export = manager_export(people)
    services.request_export(people.alice, purpose="棚卸", recipient="internal", fields=["name"])
    response = home(client, people.alice)
    assert [e["pk"] for e in response.context["waiting_exports"]] == [export.pk]
    assert f"/admin/exports/{export.pk}/" in response.content.decode()


def test_a_manager_sees_the_state_of_their_own_export_only(client, people):
    make_person("olivia", OWNER)  # alice's request is olivia's to check, not bob's
    export = manager_export(people)
    other = services.request_export(
        people.alice, purpose="棚卸", recipient="internal", fields=["name"]
    )
    response = home(client, people.bob)
    waiting = response.context["waiting_exports"]
    assert [(e["pk"], e["status"]) for e in waiting] == [(export.pk, "承認待ち")]
    page = response.content.decode()
    assert str(other.pk) not in page
    assert "posture" not in response.context and response.context["waiting_data_requests"] == []


def test_staff_see_the_reveals_left_this_hour_and_the_customer_list(client, people, settings):
    settings.SHOPGUARD_STAFF_REVEALS_PER_HOUR = 5
    response = home(client, people.carol)
    page = response.content.decode()
    assert response.context["reveals_left"] == 5
    assert "この1時間にあと5件表示できます" in page
    assert 'href="/admin/customers/customer/"' in page
    for hidden in ("charts", "posture", "waiting_exports", "open_alerts"):
        assert hidden not in response.context


def test_an_auditor_reads_posture_charts_and_the_ledger_link_but_no_exports(client, people):
    manager_export(people)
    response = home(client, people.dave)
    assert response.context["posture"] and response.context["charts"]
    assert 'href="/admin/audit/auditentry/"' in response.content.decode()
    assert "waiting_exports" not in response.context


def test_verified_data_requests_show_days_left_to_those_who_handle_them(client, people, clock):
    from django.utils import timezone

    DataRequest.objects.create(kind="disclose", name="請求 太郎", email="req@example.jp")
    waiting = DataRequest.objects.create(
        kind="disclose",
        name="請求 花子",
        email="req2@example.jp",
        step=DataRequest.Step.IDENTITY_CONFIRMED,
        identity_confirmed_at=timezone.now(),
    )
    clock.advance(10 * 86400)
    for person in (people.alice, people.bob):
        response = home(client, person)
        [item] = response.context["waiting_data_requests"]  # the unverified one waits not
        assert item["id"] == waiting.pk and item["days_left"] == 4
        assert "あと4日" in response.content.decode()
        assert "請求 太郎" not in response.content.decode()
    assert "waiting_data_requests" not in home(client, people.carol).context


def test_an_overdue_data_request_says_so(client, people, clock):
    from django.utils import timezone

    DataRequest.objects.create(
        kind="delete",
        name="請求 次郎",
        email="req2@example.jp",
        step=DataRequest.Step.IDENTITY_CONFIRMED,
        identity_confirmed_at=timezone.now(),
    )
    clock.advance(16 * 86400)
    assert "期限を2日過ぎています" in home(client, people.alice).content.decode()


def test_unacknowledged_alerts_wait_for_owner_and_auditor_not_manager(client, people):
    from audit.alerts import raise_alert
    from audit.models import Alert

    cause = record(Action.SIGN_IN_FAILED, outcome=Outcome.REFUSED, username="mallory")
    raise_alert(Alert.FAILURES, cause)
    for person in (people.alice, people.dave):
        assert len(home(client, person).context["open_alerts"]) == 1
    assert "open_alerts" not in home(client, people.bob).context


# The charts -----------------------------------------------------------------------------


def seconds_until_japan(clock_time, days_ahead=0):
    """Seconds from now to ``clock_time`` (Japan time) ``days_ahead`` days from today."""
    day = timezone.localdate() + timedelta(days=days_ahead)
    moment = timezone.make_aware(datetime.combine(day, clock_time))
    return (moment - timezone.now()).total_seconds()


def test_the_charts_count_the_ledger_by_japan_day(client, people, marker, clock):
    # 23:30 and 00:30 in Japan are the same UTC day: grouped by Japan time they are two.
    clock.advance(seconds_until_japan(time(23, 30), days_ahead=1))
    for _n in range(2):
        record(Action.CUSTOMER_VIEW, actor=people.carol, customers=[marker.pk])
    record(Action.CUSTOMER_REVEAL, actor=people.carol, customers=[marker.pk])
    record(Action.CUSTOMER_REVEAL, actor=people.carol, outcome=Outcome.REFUSED)
    clock.advance(3600)
    record(Action.CUSTOMER_VIEW, actor=people.carol, customers=[marker.pk])
    record(Action.CUSTOMER_VIEW, actor=people.bob, customers=[marker.pk])
    record(Action.SIGN_IN_FAILED, outcome=Outcome.REFUSED, username="mallory")
    record(Action.LOCKOUT, outcome=Outcome.REFUSED, username="mallory")

    response = home(client, people.alice)
    carol = next(c for c in response.context["charts"] if c.title.startswith("carol"))
    assert series(carol, "bar-viewed")[-2:] == [2, 1]
    assert series(carol, "bar-revealed")[-2:] == [1, 0]  # the refused reveal is not counted
    bob = next(c for c in response.context["charts"] if c.title.startswith("bob"))
    assert sum(series(bob, "bar-viewed")) == 1
    assert series(chart(response, "refused-sign-ins"), "bar-refused")[-1] == 2


def test_entries_older_than_30_days_are_left_out(client, people, clock):
    record(Action.EXPORT_REQUEST, actor=people.bob)
    clock.advance(31 * 86400)
    record(Action.EXPORT_REQUEST, actor=people.bob)
    record(Action.EXPORT_DOWNLOAD, actor=people.bob)
    exports = chart(home(client, people.alice), "exports")
    assert (sum(series(exports, "bar-requested")), sum(series(exports, "bar-downloaded"))) == (1, 1)


def test_a_manager_sees_shop_totals_without_anyones_name(client, people, marker):
    record(Action.CUSTOMER_VIEW, actor=people.carol, customers=[marker.pk])
    response = home(client, people.bob)
    keys = [c.key for c in response.context["charts"]]
    assert keys == ["shop-activity", "exports"]
    assert sum(series(chart(response, "shop-activity"), "bar-viewed")) == 1
    assert "carol" not in response.content.decode()


def test_each_chart_is_one_aggregate_query(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        customer_activity(per_person=True)
    with django_assert_num_queries(1):
        daily_counts([Action.EXPORT_REQUEST])


def test_every_chart_has_a_text_alternative(client, people, marker):
    record(Action.CUSTOMER_VIEW, actor=people.carol, customers=[marker.pk])
    page = home(client, people.alice).content.decode()
    charts = re.findall(r'<svg class="chart"[^>]*>', page)
    assert charts
    for svg in charts:
        assert 'role="img"' in svg
        for label_id in re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split():
            assert f'id="{label_id}"' in page
    assert page.count("<desc ") == len(charts)
    assert page.count('<details class="chart-table">') == len(charts)
    assert "style=" not in page.split('<div class="sg-home">')[1].split("shopguard-tasks")[0]


# The posture ----------------------------------------------------------------------------


def test_the_posture_reads_the_last_verification(client, people):
    checks = {c.subject: c for c in home(client, people.alice).context["posture"]}
    assert not checks["監査記録の改ざん検査"].ok
    call_command("verify_audit", stdout=StringIO())
    check = {c.subject: c for c in home(client, people.alice).context["posture"]}[
        "監査記録の改ざん検査"
    ]
    assert check.ok and "異常なし" in check.finding


def test_the_posture_reads_the_last_key_rotation(client, people):
    checks = {c.subject: c for c in home(client, people.alice).context["posture"]}
    assert "鍵の更新の記録はありません" in checks["暗号化の鍵"].finding
    call_command("rotate_keys", stdout=StringIO())
    checks = {c.subject: c for c in home(client, people.alice).context["posture"]}
    assert "最後の鍵の更新" in checks["暗号化の鍵"].finding and checks["暗号化の鍵"].ok


def test_the_posture_counts_two_factor_and_revealers(client, people):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=people.alice, name="authenticator", confirmed=True)
    checks = {c.subject: c for c in home(client, people.alice).context["posture"]}
    assert "1人／4人" in checks["二要素認証"].finding and not checks["二要素認証"].ok
    assert (
        "オーナー 1人、マネージャー 1人、スタッフ 1人" in checks["個人情報を表示できる人"].finding
    )
    assert "バックアップの記録はありません" in checks["バックアップ"].finding
    assert not checks["バックアップ"].ok


def test_a_self_approved_download_needs_attention(client, people, marker):
    people.bob.is_active = False  # a shop whose one privileged person is its owner
    people.bob.save(update_fields=["is_active"])
    export = services.request_export(
        people.alice, purpose="棚卸", recipient="internal", fields=["name"]
    )
    services.decide(
        export, people.alice, approve=True, confirmation=str(services.SELF_APPROVAL_SENTENCE)
    )
    export.refresh_from_db()
    services.claim_download(export, people.alice, "pass-word-1234", BytesIO())
    checks = {c.subject: c for c in home(client, people.alice).context["posture"]}
    assert "ダウンロード1件（うち自己承認1件）" in checks["エクスポート"].finding
    assert not checks["エクスポート"].ok
    assert services.downloads_since(timezone.now() - timedelta(days=1)) == (1, 1)


# No personal data -----------------------------------------------------------------------


def test_the_page_holds_no_personal_value(client, people, marker):
    record(Action.CUSTOMER_VIEW, actor=people.carol, customers=[marker.pk])
    record(Action.CUSTOMER_REVEAL, actor=people.carol, customers=[marker.pk])
    for person in (people.alice, people.bob, people.carol, people.dave):
        page = home(client, person).content.decode()
        for value in (MARKER_NAME, MARKER_EMAIL, "090-1234-9876", str(marker.pk)):
            assert value not in page


def test_owner_and_auditor_reach_the_take_out_ledger_from_home(client, people):
    for person, shown in ((people.alice, True), (people.dave, True), (people.bob, False)):
        page = home(client, person).content.decode()
        assert ('id="dashboard-takeout"' in page) is shown
        if shown:
            assert client.get("/admin/exports/ledger/").status_code == 200


def test_the_posture_shows_the_back_office_networks(client, people, settings):
    checks = {c.subject: c for c in home(client, people.alice).context["posture"]}
    assert "どこからでも開けます" in checks["管理画面の接続元"].finding
    assert not checks["管理画面の接続元"].ok

    settings.SHOPGUARD_BACKOFFICE_NETWORKS = ["127.0.0.0/8", "192.0.2.0/24"]
    response = home(client, people.alice)

    check = {c.subject: c for c in response.context["posture"]}["管理画面の接続元"]
    assert check.ok and "127.0.0.0/8、192.0.2.0/24" in check.finding
    assert "192.0.2.0/24" in response.content.decode()


def test_the_revealers_count_each_person_added(client, people):
    from tests.factories import make_person

    make_person("gina", "staff")
    make_person("hank", "manager")
    checks = {c.subject: c for c in home(client, people.alice).context["posture"]}
    finding = checks["個人情報を表示できる人"].finding
    assert "オーナー 1人、マネージャー 2人、スタッフ 2人" in finding
    assert "うち5人は二要素認証が未設定" in finding
    assert checks["個人情報を表示できる人"].link == "/admin/auth/user/"


def test_the_two_factor_item_links_to_ones_own_enrolment_or_the_people_page(client, people):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    checks = {c.subject: c for c in home(client, people.alice).context["posture"]}
    assert checks["二要素認証"].link == "/admin/two-factor/setup/"
    TOTPDevice.objects.create(user=people.alice, name="authenticator", confirmed=True)
    checks = {c.subject: c for c in home(client, people.alice).context["posture"]}
    assert checks["二要素認証"].link == "/admin/auth/user/"
    dave = {c.subject: c for c in home(client, people.dave).context["posture"]}
    assert dave["二要素認証"].link == "/admin/two-factor/setup/"
