"""End to end in a real browser: each role signs in as a new person would (password,
authenticator enrolment, recovery codes) and sees exactly what the table allows.

Drives Debian's Chromium (/usr/bin/chromium) with Playwright; skipped where it is missing.
"""

import base64
from pathlib import Path

import pytest
from django_otp.oath import totp

from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def allow_sync_database_calls(monkeypatch):
    """Playwright's sync API keeps an event loop in this thread; the test's own database
    calls are plain synchronous ones. Set for this module's tests only."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed (apt-get install -y chromium)",
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """A fresh browser context per person, failing on any CSP violation."""
    pages = []

    def make():
        context = browser.new_context(base_url=live_server.url, locale="ja-JP")
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.csp_errors = []
        page.on(
            "console",
            lambda message: (
                "Content Security Policy" in message.text and page.csp_errors.append(message.text)
            ),
        )
        pages.append(page)
        return page

    yield make
    for page in pages:
        assert page.csp_errors == []
        page.context.close()


def code_from_secret(secret):
    return f"{totp(base64.b32decode(secret)):06d}"


def first_sign_in(page, username):
    """Sign in as a new person: password, enrol the authenticator, keep the codes."""
    page.goto("/admin/")
    assert "/admin/login/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url("**/admin/two-factor/setup/")
    assert page.locator("img.qr-code").get_attribute("src").startswith("data:image/svg+xml")
    page.fill("#id_code", code_from_secret(page.inner_text("#totp-secret")))
    page.click("#two-factor-setup-form [type=submit]")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    page.click("#continue-link")
    page.wait_for_url("**/admin/")
    return codes


def test_each_role_signs_in_with_two_factors_and_sees_only_its_own(people, settings, new_page):
    # No database queries while the browser runs: under Playwright's event loop they
    # would get a connection of their own that outlives the test.
    settings.SHOPGUARD_REQUIRE_2FA = True
    carol = people.carol.pk
    roles = (("bob", "マネージャー"), ("carol", "スタッフ"), ("dave", "監査担当"))
    for username, role in roles:
        page = new_page()
        first_sign_in(page, username)
        assert page.locator(".role-badge").text_content().strip() == role
        assert page.locator('a[href="/admin/auth/user/"]').count() == 0
        assert page.goto("/admin/auth/user/").status == 403
        assert page.locator(".banner-warning").count() == 0

    page = new_page()
    codes = first_sign_in(page, "alice")
    assert page.locator('a[href="/admin/auth/user/"]').count() >= 1
    page.goto(f"/admin/auth/user/{carol}/change/")
    page.click("#change-role-link")
    # Changing a role asks for the password and a second factor again: a recovery code.
    page.wait_for_url("**/admin/reauth/**")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_code", codes[0])
    page.click("#reauth-form [type=submit]")
    page.wait_for_url(f"**/admin/auth/user/{carol}/role/")
    page.check("input[name=role][value=manager]")
    page.click("#role-form [type=submit]")
    page.wait_for_url(f"**/admin/auth/user/{carol}/change/")
    assert page.locator(".field-role_label .readonly").text_content().strip() == "マネージャー"

    page.click("#logout-form [type=submit]")
    assert page.goto("/admin/").url.endswith("/admin/login/?next=/admin/")
