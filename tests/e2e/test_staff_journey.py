"""Staff: masked data only, no export and no ledger (no menu entry, the URL refused with
the 403 page), and stopped by the hourly reveal quota with the reveals left shown."""

import re

from tests.e2e.conftest import check_page, sign_in, submit, visit
from tests.e2e.server import STAFF_REVEALS_PER_HOUR

REFUSED_PAGES = ("/admin/exports/", "/admin/exports/new/", "/admin/audit/auditentry/")


def open_first_customer(page):
    visit(page, "/admin/customers/customer/")
    with page.expect_navigation():
        page.locator("#result_list tbody tr th a").first.click()
    check_page(page)
    return page.url


def test_staff_sees_masked_data_only_and_no_export_or_ledger(open_page, people):
    page = open_page()
    sign_in(page, people["staff"])
    for path in REFUSED_PAGES:
        assert page.locator(f'a[href="{path}"]').count() == 0, path
    visit(page, "/admin/customers/customer/")
    emails = page.locator("#result_list td.field-masked_email").all_inner_texts()
    phones = page.locator("#result_list td.field-masked_phone").all_inner_texts()
    assert emails and all("***" in text for text in emails)
    assert phones and all("****" in text for text in phones)
    open_first_customer(page)
    for path in REFUSED_PAGES:
        assert visit(page, path).status == 403, path
        assert "このページを表示する権限がありません。" in page.inner_text("body")


def reveal_left_shown(page):
    """The reveals left this hour, as the reveal page says it ("あと 2 件" or "2 left")."""
    text = page.inner_text("#content")
    found = re.search(r"あと\s*(\d+)\s*[回件]", text) or re.search(
        r"(\d+)\s*(?:reveals? )?left", text
    )
    return int(found[1]) if found else None


def test_staff_is_stopped_by_the_reveal_quota_with_the_count_left_shown(open_page, people):
    page = open_page()
    sign_in(page, people["staff"])
    customer_url = open_first_customer(page)
    reveal_url = page.locator('a.button[href$="/reveal/email/"]').get_attribute("href")
    for used in range(STAFF_REVEALS_PER_HOUR):
        visit(page, reveal_url)
        assert reveal_left_shown(page) == STAFF_REVEALS_PER_HOUR - used
        page.select_option("#id_reason_code", index=1)
        submit(page, "#content-main form [type=submit]")
        assert page.locator("#revealed-value").count() == 1
    visit(page, reveal_url)
    # At the quota the form is replaced by the message, which says none are left.
    assert page.locator("#id_reason_code").count() == 0
    assert "上限" in page.inner_text("#content")
    assert reveal_left_shown(page) in (0, None)
    visit(page, customer_url)
