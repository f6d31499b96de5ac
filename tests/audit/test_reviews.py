"""The periodic review of access (issue #27): the period's page built from the ledger and
compared with the periods before, marking a period reviewed once with findings free of
personal data (re-authenticated, in the ledger), the overdue periods on the home page,
an incident opened from a finding, and "who looked" links that show no personal value."""

import datetime

import pytest
import time_machine
from django.test import Client

from accounts.roles import set_role
from audit import reviews
from audit.ledger import record
from audit.models import AccessReview, Alert, AuditEntry
from incidents.models import Incident
from tests.customers.vault import HANAKO
from tests.factories import entries_after, ledger_mark, make_person
from tests.signing import signed_in

pytestmark = pytest.mark.django_db

LIST = "/admin/audit/accessreview/"
NOVEMBER = "/admin/audit/accessreview/period/2026-11/"
MARK = "/admin/audit/accessreview/period/2026-11/reviewed/"


def at(*moment):
    """Japan time ``moment`` (year, month, day, hour), the clock standing still."""
    japan = datetime.timezone(datetime.timedelta(hours=9))
    return time_machine.travel(datetime.datetime(*moment, tzinfo=japan), tick=False)


def reveal(person, customer_id, field="phone", reason="inquiry"):
    return record(
        "customer.reveal",
        actor=person,
        customers=[customer_id],
        target=("customers.customer", customer_id),
        detail={"field": field, "reason": reason},
    )


def view(person, customer_id):
    return record(
        "customer.view",
        actor=person,
        customers=[customer_id],
        target=("customers.customer", customer_id),
    )


@pytest.fixture
def shop_month(people, hanako):
    """October: carol opens two customers. November: carol opens three and reveals
    hanako's phone, bob downloads an export of two, a failed sign-in, alice changes
    carol's role (an alert), and bob's list page (not counted)."""
    others = ["0b3c0e51-5f8e-4b62-9d4e-aaaaaaaaaaaa", "0b3c0e51-5f8e-4b62-9d4e-bbbbbbbbbbbb"]
    hanako_id = str(hanako.pk)
    with at(2026, 10, 6, 10):
        view(people.carol, others[0])
        view(people.carol, others[1])
    with at(2026, 11, 10, 10):
        view(people.carol, hanako_id)
        view(people.carol, others[0])
        view(people.carol, others[1])
        reveal(people.carol, hanako_id)
        record("customer.list", actor=people.bob, customers=[hanako_id, *others])
        record(
            "export.download",
            actor=people.bob,
            customers=[hanako_id, others[0]],
            target=("exports.exportrequest", "1f0e0000-0000-4000-8000-000000000001"),
        )
        record("auth.sign_in_failed", outcome="refused", username="bob")
        record(
            "account.role_change",
            actor=people.alice,
            target=("auth.user", people.carol.pk),
            detail={"old": "staff", "new": "manager"},
        )
    return {"hanako": hanako_id, "others": others}


def page(person, url=NOVEMBER, *, when=(2026, 12, 3, 10)):
    with at(*when):
        return signed_in(Client(), person).get(url)


# Who may read and review ------------------------------------------------------------


def test_the_pages_are_the_auditors_and_the_owners(people):
    with at(2026, 12, 3, 10):
        assert Client().get(LIST).status_code == 302  # to sign in
        for person in (people.bob, people.carol):
            client = signed_in(Client(), person)
            assert client.get(LIST).status_code == 403
            assert client.get(NOVEMBER).status_code == 403
        for person in (people.alice, people.dave):
            client = signed_in(Client(), person)
            assert client.get(LIST).status_code == 200
            assert client.get(NOVEMBER).status_code == 200


def test_the_owner_reviews_only_in_a_shop_without_an_active_auditor(people):
    assert reviews.may_review(people.dave)
    assert not reviews.may_review(people.alice)
    assert not reviews.may_review(people.bob)
    people.dave.is_active = False
    people.dave.save(update_fields=["is_active"])
    assert reviews.may_review(people.alice)
    assert not reviews.may_review(people.bob)
    # An active auditor again: the owner stands down.
    make_person("saki", "auditor")
    assert not reviews.may_review(people.alice)


def test_a_period_not_begun_or_misnamed_is_not_found(people):
    for url in (
        "/admin/audit/accessreview/period/2027-05/",
        "/admin/audit/accessreview/period/2026-13/",
        "/admin/audit/accessreview/period/2026-1/",
        "/admin/audit/accessreview/period/2026-+1/",
        "/admin/audit/accessreview/period/nov/",
    ):
        assert page(people.dave, url).status_code == 404, url


# What the period's page says --------------------------------------------------------


def test_the_page_counts_customers_per_person_against_the_period_before(people, shop_month):
    response = page(people.dave)
    assert response.status_code == 200
    summary = response.context["summary"]
    carol = next(row for row in summary.people if row.username == "carol")
    assert carol.now == 3 and carol.before == [2, 0, 0]
    # A list page (masked rows) is not a look at a customer.
    assert not any(row.username == "bob" for row in summary.people)
    figures = {f.label: f for f in summary.figures}
    assert figures["閲覧・表示された顧客（人数）"].now == 3
    assert figures["閲覧・表示された顧客（人数）"].before == [2, 0, 0]
    assert figures["個人情報の表示"].now == 1
    assert figures["エクスポートのダウンロード"].now == 1
    assert figures["サインインの失敗"].now == 1
    assert figures["利用者・役割の変更"].now == 1
    assert figures["警告"].now == Alert.objects.count() >= 1


def test_the_page_lists_reveals_with_reasons_exports_alerts_and_people_changes(people, shop_month):
    text = page(people.dave).text
    assert "お客様からの問い合わせ対応" in text  # the reveal's reason, in words
    assert "エクスポートのダウンロード" in text
    assert "役割の変更" in text
    assert "利用者のアカウントの変更" in text  # the alert the role change raised
    assert "未確認" in text  # ... not closed yet
    assert "サインインの失敗: 1" in text


def test_an_acknowledged_alert_says_who_closed_it(people, shop_month):
    alert = Alert.objects.get(kind=Alert.ACCOUNT_CHANGE)
    alert.acknowledged_at = alert.raised_at + datetime.timedelta(hours=2)
    alert.acknowledged_by_username = "someone-else"
    alert.save()
    row = page(people.dave).context["alerts"][0]
    assert "someone-else" in row["closed"]


def test_the_page_is_a_reading_of_the_ledger(people, shop_month):
    mark = ledger_mark()
    page(people.dave)
    entry = entries_after(mark).get(action="audit.read")
    assert entry.detail == {"view": "review", "period": "2026-11"}


def test_the_page_links_each_customer_to_who_looked_without_personal_data(people, shop_month):
    text = page(people.dave).text
    hanako = shop_month["hanako"]
    assert f'href="/admin/audit/auditentry/customer/{hanako}/"' in text
    assert f"顧客 {hanako[:8]}" in text
    for value in HANAKO.values():
        if len(value) > 4:
            assert value not in text, value
    # The link leads the auditor to that customer's ledger.
    with at(2026, 12, 3, 10):
        client = signed_in(Client(), people.dave)
        who = client.get(f"/admin/audit/auditentry/customer/{hanako}/", follow=True)
    assert who.status_code == 200
    assert who.context["title"] == "この顧客を見た人"


def test_an_entry_of_several_customers_links_each_who_looked_page(people, shop_month):
    entry = AuditEntry.objects.get(action="export.download")
    with at(2026, 12, 3, 10):
        client = signed_in(Client(), people.dave)
        response = client.get(f"/admin/audit/auditentry/{entry.pk}/change/")
    text = response.text
    for customer_id in entry.customer_ids:
        assert f'href="/admin/audit/auditentry/customer/{customer_id}/"' in text
    for value in HANAKO.values():
        if len(value) > 4:
            assert value not in text, value


# Marking a period reviewed ----------------------------------------------------------


def mark(person, findings="", *, reauthenticated=True, when=(2026, 12, 3, 10)):
    with at(*when):
        client = signed_in(Client(), person, reauthenticated=reauthenticated)
        return client.post(MARK, {"findings": findings}, follow=True)


def test_the_auditor_marks_a_period_reviewed_with_findings_in_the_ledger(people, shop_month):
    before = ledger_mark()
    response = mark(people.dave, "carol の表示は問い合わせ対応で妥当。")
    assert response.status_code == 200
    assert "2026年11月を点検済みにしました。" in response.text
    review = AccessReview.objects.get()
    assert review.period_start == datetime.date(2026, 11, 1)
    assert review.period_end == datetime.date(2026, 12, 1)
    assert review.reviewed_by == people.dave
    entry = entries_after(before).get(action="audit.review")
    assert entry.seq == review.entry_seq and entry.actor_username == "dave"
    assert entry.detail["findings"] == "carol の表示は問い合わせ対応で妥当。"
    assert entry.detail["period_start"] == "2026-11-01"
    assert "carol の表示は問い合わせ対応で妥当。" in response.text


def test_a_reviewed_period_is_not_reviewed_twice(people, shop_month):
    mark(people.dave, "一回目")
    before = ledger_mark()
    response = mark(people.dave, "二回目")
    assert "点検済みです。点検は1期間に1回です。" in response.text
    assert AccessReview.objects.get().findings == "一回目"
    assert not entries_after(before).filter(action="audit.review").exists()


def test_findings_with_personal_data_are_refused(people, shop_month):
    before = ledger_mark()
    response = mark(people.dave, "hanako.yamada@example.com に電話 090-1234-5678")
    assert "個人情報は書かないでください" in response.text
    assert not AccessReview.objects.exists()
    assert not entries_after(before).filter(action="audit.review").exists()
    assert "hanako.yamada@example.com" not in response.text


def test_overlong_findings_are_refused(people, shop_month):
    response = mark(people.dave, "確認済み。" * 1001)
    assert "所見は5,000文字までにしてください。" in response.text
    assert not AccessReview.objects.exists()


def test_marking_needs_a_fresh_password(people, shop_month):
    with at(2026, 12, 3, 10):
        client = signed_in(Client(), people.dave)
        response = client.post(MARK, {"findings": "x"}, HTTP_REFERER=f"http://testserver{NOVEMBER}")
    assert response.status_code == 302 and response["Location"].startswith("/admin/reauth/")
    assert not AccessReview.objects.exists()


def test_the_owner_may_not_mark_while_an_auditor_reviews(people, shop_month):
    response = mark(people.alice, "")
    assert "この店では、アクセスの点検は監査役が行います。" in response.text
    assert not AccessReview.objects.exists()
    people.dave.is_active = False
    people.dave.save(update_fields=["is_active"])
    mark(people.alice, "")
    assert AccessReview.objects.get().reviewed_by == people.alice


def test_a_period_still_running_cannot_be_marked(people, shop_month):
    response = mark(people.dave, "", when=(2026, 11, 20, 10))
    assert "この期間はまだ終わっていません" in response.text
    assert not AccessReview.objects.exists()


def test_staff_cannot_mark_a_period(people, shop_month):
    with at(2026, 12, 3, 10):
        client = signed_in(Client(), people.carol, reauthenticated=True)
        assert client.post(MARK, {"findings": ""}).status_code == 403
    assert not AccessReview.objects.exists()


# Overdue periods ---------------------------------------------------------------------


def test_a_period_is_overdue_two_weeks_after_its_end_until_reviewed(people, shop_month):
    with at(2026, 12, 14, 10):
        assert reviews.overdue_periods() == [reviews.period_by_key("2026-10")]
    with at(2026, 12, 15, 10):
        keys = [p.key for p in reviews.overdue_periods()]
    assert keys == ["2026-11", "2026-10"]
    mark(people.dave, "", when=(2026, 12, 15, 11))
    with at(2026, 12, 15, 12):
        assert [p.key for p in reviews.overdue_periods()] == ["2026-10"]


def test_periods_before_the_ledger_began_are_not_overdue(people):
    with at(2026, 11, 5, 10):
        record("audit.read", actor=people.dave)
    with at(2027, 3, 1, 10):
        keys = [p.key for p in reviews.overdue_periods()]
    assert keys == ["2027-01", "2026-12", "2026-11"]


def test_the_period_length_is_a_setting(people, settings, shop_month):
    settings.SHOPGUARD_ACCESS_REVIEW_MONTHS = 3
    period = reviews.period_of(datetime.date(2026, 11, 10))
    assert (period.start, period.end) == (datetime.date(2026, 10, 1), datetime.date(2027, 1, 1))
    assert reviews.period_by_key("2026-11") is None
    assert reviews.period_by_key("2026-10") == period
    settings.SHOPGUARD_ACCESS_REVIEW_MONTHS = 5
    with pytest.raises(Exception, match="SHOPGUARD_ACCESS_REVIEW_MONTHS"):
        reviews.period_of(datetime.date(2026, 11, 10))


def test_the_home_page_shows_an_overdue_review(people, shop_month):
    text = page(people.dave, "/admin/", when=(2026, 12, 20, 10)).text
    assert "アクセスの点検（2026年11月）" in text
    assert "点検の期限を過ぎています" in text
    owner = page(people.alice, "/admin/", when=(2026, 12, 20, 10)).text
    assert "アクセスの点検（2026年11月）" in owner
    assert "監査役の点検を待っています" in owner
    assert "アクセスの点検" not in page(people.carol, "/admin/", when=(2026, 12, 20, 10)).text
    mark(people.dave, "", when=(2026, 12, 20, 11))
    mark_october = "/admin/audit/accessreview/period/2026-10/reviewed/"
    with at(2026, 12, 20, 11):
        signed_in(Client(), people.dave, reauthenticated=True).post(mark_october, {})
    text = page(people.dave, "/admin/", when=(2026, 12, 20, 12)).text
    assert "点検の期限を過ぎています" not in text


# A finding opens an incident -----------------------------------------------------------


def test_a_finding_opens_an_incident_with_the_periods_scope(people, shop_month):
    mark(people.dave, "深夜の表示が多い。")
    review = AccessReview.objects.get()
    # The auditor is told to ask the owner; the owner gets the button.
    assert "店主に事案の登録を頼んでください" in page(people.dave).text
    owner_page = page(people.alice).text
    add = "/admin/incidents/incident/add/?review_period=2026-11"
    assert f'href="{add}"'.replace("&", "&amp;") in owner_page
    with at(2026, 12, 3, 11):
        client = signed_in(Client(), people.alice)
        form = client.get(add)
        initial = form.context["adminform"].form.initial
        assert initial["title"] == "アクセスの点検（2026年11月）の所見から"
        assert "深夜の表示が多い。" in initial["what_happened"]
        assert f"#{review.entry_seq}" in initial["what_happened"]
        data = {
            "title": initial["title"],
            "discovered_at": "2026-12-03T10:00",
            "cause": "insider",
            "certainty": "suspected",
            "what_happened": initial["what_happened"],
            "protection": "unknown",
        }
        response = client.post(add, data)
        incident = Incident.objects.get()
        assert response.status_code == 302
        scope_url = response["Location"]
        assert scope_url.startswith(f"/admin/incidents/incident/{incident.pk}/scope/?")
        scope = client.get(scope_url).context["form"]
    assert scope.initial == {
        "source": "person",
        "start": "2026-11-01 00:00",
        "end": "2026-12-01 00:00",
    }


def test_an_incident_form_without_a_reviewed_period_starts_empty(people, shop_month):
    with at(2026, 12, 3, 11):
        client = signed_in(Client(), people.alice)
        form = client.get("/admin/incidents/incident/add/?review_period=2026-11")
    assert "title" not in form.context["adminform"].form.initial


def test_a_new_auditor_turns_a_standin_owner_back_into_a_reader(people):
    people.dave.is_active = False
    people.dave.save(update_fields=["is_active"])
    with at(2026, 12, 3, 10):
        assert 'id="review-form"' in signed_in(Client(), people.alice).get(NOVEMBER).text
        set_role(people.erin, "auditor")
        assert 'id="review-form"' not in signed_in(Client(), people.alice).get(NOVEMBER).text


def test_the_review_entry_reads_in_words_on_the_ledger(people, shop_month):
    mark(people.dave, "問題なし。")
    entry = AuditEntry.objects.get(action="audit.review")
    with at(2026, 12, 3, 11):
        client = signed_in(Client(), people.dave)
        rows = dict(client.get(f"/admin/audit/auditentry/{entry.pk}/change/").context["entry_rows"])
    assert rows["操作"] == "アクセスの点検の完了"
    assert rows["所見"] == "問題なし。"
    assert rows["期間の始まり"] == "2026-11-01"
