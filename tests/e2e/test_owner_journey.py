"""The owner's journey: sign in with two-factor, the home page, a new customer found by
exact e-mail, a phone revealed with a reason and found in "who looked"; a policy version
published through the diff and re-authentication, public with the owner's numbering."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.e2e.conftest import check_page, confirm_password, screenshot, sign_in, submit, visit

# A clearly fake customer (the demo data's domains; nothing here is a real person).
NEW_CUSTOMER = {
    "name": "見本 花子",
    "email": "hanako.e2e@example.jp",
    "phone": "090-0000-1313",
}
NEW_ITEM = "季節の新商品のご案内"
# What the owner's reveal was for, read back by the "who looked" check.
REVEALED = {}


def add_customer(page):
    visit(page, "/admin/customers/customer/add/")
    for field, value in NEW_CUSTOMER.items():
        page.fill(f"#id_{field}", value)
    submit(page, "#customer_form [name=_save]")
    assert page.url.endswith("/admin/customers/customer/"), page.url


def find_by_email(page, email):
    """Search with the exact e-mail; the one row found leads to the customer's page."""
    page.fill("#searchbar", email)
    submit(page, "#changelist-search [type=submit]")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    # Masked in the list: the e-mail is never shown whole.
    assert email not in page.inner_text("#result_list")
    with page.expect_navigation():
        rows.first.locator("th a").click()
    check_customer_page(page)


def check_customer_page(page):
    check_page(page)
    assert NEW_CUSTOMER["phone"] not in page.inner_text("#content")


def reveal_phone(page):
    customer_url = page.url
    reveal = page.locator('a.button[href$="/reveal/phone/"]')
    with page.expect_navigation():
        reveal.click()
    check_page(page)
    page.select_option("#id_reason_code", index=1)
    REVEALED["reason"] = page.locator("#id_reason_code option:checked").inner_text().strip()
    submit(page, "#content-main form [type=submit]")
    assert page.inner_text("#revealed-value").strip() == NEW_CUSTOMER["phone"]
    screenshot(page, "reveal")
    return customer_url


def test_owner_adds_a_customer_reveals_a_phone_and_finds_it_in_who_looked(open_page, people):
    page = open_page()
    sign_in(page, people["owner"])
    add_customer(page)
    find_by_email(page, NEW_CUSTOMER["email"])
    screenshot(page, "customer-page")
    customer_url = reveal_phone(page)

    open_who_looked(page, customer_url)
    looked = page.inner_text("#content")
    assert people["owner"].username in looked
    assert NEW_CUSTOMER["phone"] not in looked  # the ledger never holds the value
    screenshot(page, "who-looked")


def open_who_looked(page, customer_url):
    visit(page, customer_url)
    with page.expect_navigation():
        page.click('a[href*="/admin/audit/auditentry/customer/"]')
    check_page(page)


def test_who_looked_says_what_was_revealed_and_why(open_page, people):
    page = open_page()
    sign_in(page, people["owner"])
    visit(page, "/admin/customers/customer/")
    find_by_email(page, NEW_CUSTOMER["email"])
    open_who_looked(page, page.url)
    looked = page.inner_text("#content")
    assert "電話番号" in looked  # what: the field
    assert REVEALED["reason"] in looked  # why: the reason given
    assert "customer.reveal" not in looked  # in words, not the action's code name


def test_owner_sees_the_masked_customer_list(open_page, people):
    page = open_page()
    sign_in(page, people["owner"])
    visit(page, "/admin/customers/customer/")
    masked = page.locator("#result_list td.field-masked_email").all_inner_texts()
    assert masked and all("***" in text for text in masked)
    screenshot(page, "customer-list")


def test_owner_sees_the_dashboard_at_home(open_page, people):
    page = open_page()
    sign_in(page, people["owner"])
    screenshot(page, "dashboard")
    # Charts drawn server-side with a text alternative (issue #13, dash branch).
    charts = page.locator('#content svg[role="img"][aria-labelledby]')
    assert charts.count() >= 1
    assert page.locator("#content a[href='/admin/exports/']").count() >= 1


def list_number_shown(page, item):
    """The number a reader sees before ``item`` on the public page: written in the text
    ("(9) …"), or the ordinal the browser draws for a list item (``value``/``start``)."""
    return page.evaluate(
        """(item) => {
        const el = [...document.querySelectorAll('article :is(li, p):not(.change-summary *)')]
            .find(e => e.textContent.includes(item));
        if (!el) return null;
        const written = el.textContent.match(/[(（]\\s*(\\d+)\\s*[)）]\\s*\\S*/);
        if (written && el.textContent.indexOf(written[0]) <= el.textContent.indexOf(item))
            return Number(written[1]);
        if (el.tagName !== 'LI') return null;
        if (el.hasAttribute('value')) return Number(el.getAttribute('value'));
        const list = el.parentElement;
        const index = [...list.children].filter(c => c.tagName === 'LI').indexOf(el);
        return (list.start || 1) + index;
    }""",
        item,
    )


def add_list_item_nine(page):
    """In a new draft, add item (9) after the purposes of use (article 3), as its own list."""
    visit(page, "/admin/policy/policyversion/")
    with page.expect_navigation():
        page.click("#result_list tbody tr:first-child th a")
    check_page(page)
    submit(page, "button.policy-tool")
    body = page.locator("#id_article_3_body_ja")
    body.fill(body.input_value() + f"\n\n(9) {NEW_ITEM}")
    body_en = page.locator("#id_article_3_body_en")
    body_en.fill(body_en.input_value() + "\n\n(9) News of seasonal products")
    page.fill("#id_change_summary_ja", "利用目的に季節の新商品のご案内を加えました。")
    page.fill("#id_change_summary_en", "We added news of seasonal products to the purposes.")
    submit(page, "#policyversion_form [name=_continue]")
    # A new purpose of use is a material change: the page stops to say so, and the owner
    # keeps the box ticked (the consent tools then know).
    check_page(page)
    assert page.locator(".policy-material-prompt").count() >= 1
    page.check("#id_material_change")
    submit(page, "#policyversion_form [name=_continue]")
    check_page(page)
    assert page.locator("#id_material_change").is_checked()


def test_owner_publishes_a_version_through_diff_and_reauth_with_its_numbering(open_page, people):
    page = open_page()
    owner = people["owner"]
    sign_in(page, owner)
    add_list_item_nine(page)
    with page.expect_navigation():
        page.click('a[href$="/publish/"]')
    check_page(page)
    confirm_password(page, owner)
    assert re.search(r"/policyversion/\d+/publish/$", page.url), page.url
    diff = page.inner_text(".policy-publish-diff")
    assert f"(9) {NEW_ITEM}" in diff
    # A date input shows only an ISO value; effective today in Japan.
    page.fill("#id_effective_date", datetime.now(ZoneInfo("Asia/Tokyo")).date().isoformat())
    page.check("#id_confirm")
    submit(page, "form:has(#id_effective_date) [type=submit]")
    number = int(re.search(r"第(\d+)版を公開しました", page.inner_text(".messagelist"))[1])

    public = open_page()
    visit(public, f"/privacy/v/{number}/")
    assert NEW_ITEM in public.inner_text("article")
    assert list_number_shown(public, NEW_ITEM) == 9
