"""A new staff member joins (issue #24): the owner invites them by mail, they open the
mail's link, choose their own password, enrol their second factor at their first sign-in
and reach the home page; the used link is then refused with the Japanese page."""

import base64
import re

from django_otp.oath import TOTP

from tests.e2e.conftest import check_page, confirm_password, screenshot, sign_in, submit, visit

NEWCOMER = {"username": "sato.e2e", "email": "sato.e2e@example.jp"}
CHOSEN = "sato chooses a long passphrase 7"
# The app prints its mails on its console (EMAIL_URL's default, consolemail://).
INVITE_LINK = re.compile(r"https?://[^/\s]+(/admin/invite/[^/\s]+/[^/\s]+/)")


def invite_link(app):
    """The set-password link of the newest invitation mail the app sent."""
    log = (app.directory / "runserver.log").read_text(encoding="utf-8")
    links = INVITE_LINK.findall(log)
    assert links, "no invitation mail was sent"
    return links[-1]


def authenticator_code(page):
    """The code an authenticator app shows for the key the setup page prints."""
    secret = page.inner_text("#totp-secret").strip().replace(" ", "")
    return f"{TOTP(base64.b32decode(secret)).token():06d}"


def test_a_new_staff_member_is_invited_and_signs_in(open_page, people, app):
    owner = open_page()
    sign_in(owner, people["owner"])
    visit(owner, "/admin/auth/user/add/")
    if "/admin/reauth/" in owner.url:
        confirm_password(owner, people["owner"])
    assert owner.url.endswith("/admin/auth/user/add/"), owner.url
    owner.fill("#id_username", NEWCOMER["username"])
    owner.fill("#id_email", NEWCOMER["email"])
    owner.check("input[name=role][value=staff]")
    screenshot(owner, "invite-add")
    submit(owner, "#user_form [type=submit]")
    assert NEWCOMER["username"] in owner.inner_text("#content")

    link = invite_link(app)
    newcomer = open_page()
    visit(newcomer, link)
    # The token moved into the session: the address bar no longer holds it.
    assert newcomer.url.endswith("/set-password/"), newcomer.url
    assert NEWCOMER["username"] in newcomer.inner_text("#content")
    newcomer.fill("#id_new_password1", CHOSEN)
    newcomer.fill("#id_new_password2", CHOSEN)
    screenshot(newcomer, "invite-set-password")
    submit(newcomer, "#invite-form [type=submit]")
    assert newcomer.url.endswith("/admin/login/"), newcomer.url
    assert "パスワードを設定しました" in newcomer.inner_text("body")

    newcomer.fill("#id_username", NEWCOMER["username"])
    newcomer.fill("#id_password", CHOSEN)
    submit(newcomer, "#login-form [type=submit]")
    assert "/two-factor/setup/" in newcomer.url, newcomer.url
    screenshot(newcomer, "invite-two-factor-setup")
    newcomer.fill("#two-factor-setup-form input[name=code]", authenticator_code(newcomer))
    submit(newcomer, "#two-factor-setup-form [type=submit]")
    assert newcomer.locator("#recovery-codes li").count() == 10
    submit(newcomer, "#continue-link")
    assert newcomer.url.endswith("/admin/"), newcomer.url
    assert "管理メニュー" in newcomer.inner_text("#content")
    assert NEWCOMER["username"].upper() in newcomer.inner_text("#user-tools").upper()

    again = open_page()
    response = visit(again, link)
    assert response.status == 410
    assert "招待リンクは使えません" in again.inner_text("h1")
    assert "すでに使われています" in again.inner_text("#invite-refused")
    screenshot(again, "invite-used")
    check_page(again)
