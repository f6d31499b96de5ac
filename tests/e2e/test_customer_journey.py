"""A customer on the public pages: the privacy policy in Japanese and in English, an
older version, a comparison of two versions, and a data request with its reference."""

from tests.e2e.conftest import check_page, screenshot, submit, visit


def test_customer_reads_the_policy_in_japanese_and_english(open_page, policy_versions):
    page = open_page()
    visit(page, "/privacy/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.inner_text("h1") == "プライバシーポリシー"
    screenshot(page, "public-policy")

    page.select_option("#language-select", "en")
    submit(page, ".language-switch [type=submit]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.inner_text("h1") == "Privacy policy"

    english = open_page(locale="en-US")
    visit(english, "/privacy/")
    assert english.inner_text("h1") == "Privacy policy"


def test_customer_opens_an_older_version_and_compares_two(open_page, policy_versions):
    older, newer = policy_versions[-2], policy_versions[-1]
    page = open_page()
    visit(page, "/privacy/history/")
    submit(page, f'a[href="/privacy/v/{older}/"]')
    assert "この版は現在施行されている版ではありません。" in page.inner_text(".policy-header")

    visit(page, "/privacy/history/")
    page.select_option("#compare-a", str(older))
    page.select_option("#compare-b", str(newer))
    submit(page, ".compare-form [type=submit]")
    assert page.url.endswith(f"/privacy/compare/{older}/{newer}/"), page.url
    assert page.locator(".diff-article .diff-insert, .diff-article ins").count() >= 1


def test_customer_sends_a_data_request_and_gets_a_reference(open_page):
    page = open_page()
    visit(page, "/privacy/requests/")
    page.check("input[name=kind][value=disclose]")
    page.fill("#id_name", "見本 太郎")
    page.fill("#id_email", "taro.e2e@example.jp")
    page.fill("#id_details", "登録されている内容を知りたいです。")
    submit(page, ".request-form [type=submit]")
    assert "/privacy/requests/received/" in page.url, page.url
    reference = page.inner_text(".reference").strip()
    assert reference
    # The reference survives a reload (the page is a GET of its own), and the address
    # holds no personal data.
    page.reload()
    check_page(page)
    assert page.inner_text(".reference").strip() == reference
    assert "taro.e2e" not in page.url and "%E8%A6%8B" not in page.url
