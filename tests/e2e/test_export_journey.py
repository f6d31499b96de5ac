"""Manager and owner: an export request, approved after the owner's re-authentication
window has passed, downloaded once with the password shown (the archive opens), and a
second download refused with a page."""

import io

import pyzipper

from tests.e2e.conftest import confirm_password, screenshot, sign_in, submit, visit

# Move the owner's re-authentication an hour back, in the session the browser holds: the
# window (10 minutes) has passed, as it nearly always has when a request waits.
EXPIRE_REAUTH_SCRIPT = """
import json
from django.contrib.sessions.models import Session
from accounts.reauth import SESSION_KEY
session = Session.objects.get(session_key={key!r})
data = session.get_decoded()
data[SESSION_KEY] = data[SESSION_KEY] - 3600
Session.objects.save(session.session_key, data, session.expire_date)
print(json.dumps(True))
"""


def session_key(page):
    return next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")


def request_export(page, manager):
    visit(page, "/admin/exports/")
    submit(page, 'a[href="/admin/exports/new/"]')
    confirm_password(page, manager)
    assert page.url.endswith("/admin/exports/new/"), page.url
    page.fill("#id_purpose", "配送業者への発送データの受け渡し")
    page.select_option("#id_recipient", "contractor")
    page.fill("#id_recipient_name", "見本運輸株式会社")
    page.check("input[name=fields][value=email]")
    submit(page, "#export-form [type=submit]")
    return page.url


def test_export_is_approved_after_an_expired_window_and_downloaded_once(open_page, people, app):
    manager_page = open_page()
    manager = people["manager"]
    sign_in(manager_page, manager)
    detail = request_export(manager_page, manager)

    owner_page = open_page()
    owner = people["owner"]
    sign_in(owner_page, owner)
    visit(owner_page, "/admin/exports/new/")  # any dangerous page: the owner confirms once
    confirm_password(owner_page, owner)
    app.shell(EXPIRE_REAUTH_SCRIPT.format(key=session_key(owner_page)))
    visit(owner_page, detail)
    screenshot(owner_page, "export-approval")
    submit(owner_page, "button[name=decision][value=approve]")
    confirm_password(owner_page, owner)
    # Back on a page, never a 405: the approval is done, or one more press does it.
    if owner_page.locator("button[name=decision][value=approve]").count():
        submit(owner_page, "button[name=decision][value=approve]")
    assert owner_page.inner_text("#export-status").strip() == "承認済み"

    visit(manager_page, detail)
    submit(manager_page, "form[action$='/prepare/'] [type=submit]")
    password = manager_page.inner_text("#archive-password").strip()
    with manager_page.expect_download() as download:
        manager_page.click("form[action$='/download/'] [type=submit]")
    archive = download.value.path().read_bytes()
    assert_archive_opens(archive, password)

    # The same button again: refused with a page that says why, nothing downloaded.
    submit(manager_page, "form[action$='/download/'] [type=submit]")
    assert manager_page.locator("#export-refusal").count() == 1
    visit(manager_page, detail)
    assert manager_page.locator("form[action$='/prepare/']").count() == 0


def assert_archive_opens(archive, password):
    with pyzipper.AESZipFile(io.BytesIO(archive)) as opened:
        opened.setpassword(password.encode())
        names = opened.namelist()
        assert names
        assert all(opened.read(name) is not None for name in names)
