"""The auditor's monthly review of access (issue #27): from the home page to last month's
period, reads it, follows a customer's "who looked" link (an internal id, no personal
value), and marks the period reviewed with a finding after confirming the password."""

import pytest

from tests.e2e.conftest import (
    VIEWPORT,
    check_page,
    confirm_password,
    screenshot,
    sign_in,
    submit,
    visit,
)

# Last month, as a shop's month goes: a staff member opens a customer (a clearly fake
# one, added here so that the journey knows the values the auditor must never see) and
# reveals the phone number to answer an inquiry. Written with the clock in last month
# (the demo data is all of today); prints the period's key, the customer's id and values.
LAST_MONTH_SCRIPT = """
import datetime, json
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone
from audit import reviews
from audit.ledger import record
from customers.models import Customer
from devtools.management.commands.seed_demo import DEMO_USERS

values = ["点検 花子", "tenken.e2e@example.jp", "090-0000-2727"]
period = reviews.period_of(timezone.localdate()).previous()
customer = Customer.objects.create(name=values[0], email=values[1], phone=values[2])
staff = get_user_model().objects.get(username=DEMO_USERS["staff"])
moment = timezone.make_aware(datetime.datetime.combine(period.start, datetime.time(10)))
with time_machine.travel(moment + datetime.timedelta(days=4), tick=False):
    cid = str(customer.pk)
    record("customer.view", actor=staff, customers=[cid], target=("customers.customer", cid))
    record(
        "customer.reveal",
        actor=staff,
        customers=[cid],
        target=("customers.customer", cid),
        detail={"field": "phone", "reason": "inquiry"},
    )
print(json.dumps({"key": period.key, "customer": cid, "values": values}))
"""

PHONE = {"width": 390, "height": 844}
FINDING = "スタッフの電話番号の表示は問い合わせ対応で、理由と一致。"


@pytest.fixture(scope="module")
def last_month(app):
    return app.shell(LAST_MONTH_SCRIPT)


def test_the_auditor_reviews_last_month(open_page, people, last_month):
    auditor = people["auditor"]
    page = open_page()
    sign_in(page, auditor)
    submit(page, "#dashboard-reviews")
    assert page.url.endswith("/admin/audit/accessreview/"), page.url
    period_url = f"/admin/audit/accessreview/period/{last_month['key']}/"
    submit(page, f'#review-periods a[href="{period_url}"]')

    # Reading the period: the reveal with its reason, the staff member's customers.
    reveals = page.inner_text("#review-reveals-table")
    assert "お客様からの問い合わせ対応" in reveals
    assert "1" in page.inner_text("#review-people-table")
    body = page.inner_text("body")
    for value in last_month["values"]:
        assert value not in body
    screenshot(page, "access-review")
    page.set_viewport_size(PHONE)
    check_page(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    screenshot(page, "access-review-phone")
    # On a phone each cell is named before its value: a full-width colon in Japanese,
    # an ASCII one in English.
    label = (
        "() => getComputedStyle("
        "document.querySelector('#review-reveals-table td'), '::before').content"
    )
    assert page.evaluate(label).endswith('："'), page.evaluate(label)
    page.select_option("#language-select", "en")
    submit(page, ".language-switch [type=submit]")
    assert page.evaluate(label).endswith(': "'), page.evaluate(label)
    page.select_option("#language-select", "ja")
    submit(page, ".language-switch [type=submit]")
    page.set_viewport_size(VIEWPORT)

    # The customer's "who looked" page, reached by the internal id.
    link = page.locator(f'#review-reveals-table a[title="{last_month["customer"]}"]')
    assert link.inner_text() == f"顧客 {last_month['customer'][:8]}"
    submit(page, f'#review-reveals-table a[title="{last_month["customer"]}"]')
    assert page.url.endswith(f"?customer={last_month['customer']}"), page.url
    assert "個人情報の表示" in page.inner_text("#result_list")
    for value in last_month["values"]:
        assert value not in page.inner_text("body")

    # Marking it reviewed: the password first, then the button once more.
    visit(page, period_url)
    page.fill("#id_findings", FINDING)
    submit(page, "#review-form [type=submit]")
    confirm_password(page, auditor)
    assert page.url.endswith(period_url), page.url
    assert "もう一度ボタンを押してください" in page.inner_text(".messagelist")
    page.fill("#id_findings", FINDING)
    submit(page, "#review-form [type=submit]")
    assert "点検済みにしました。" in page.inner_text(".messagelist")
    assert FINDING in page.inner_text("#review-findings")
    assert page.locator("#review-form").count() == 0
    screenshot(page, "access-review-done")
