"""The evidence page in Chromium: the owner records what only a person knows (3-D
Secure) and downloads the signed pack; the page and its print view fit at 1,280 px and
at a phone's width, and the print view on A4 has no navigation."""

import io
import zipfile

from dashboard import pack
from tests.e2e.conftest import VIEWPORT, screenshot, sign_in, submit, visit

PHONE = {"width": 390, "height": 844}
FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


def fits(page, path):
    for viewport in (VIEWPORT, PHONE):
        page.set_viewport_size(viewport)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert page.evaluate(FITS), f"{path} is {width} px wide at {viewport['width']} px"
    page.set_viewport_size(VIEWPORT)


def test_the_owner_answers_the_checklists_and_takes_the_signed_pack(open_page, people):
    page = open_page()
    sign_in(page, people["owner"])
    assert page.locator('a[href="/admin/evidence/"]').count() == 1
    visit(page, "/admin/evidence/")
    assert page.locator("#item-ipa-10").count() == 1
    assert page.locator("#item-card-10").get_attribute("data-verdict") == "unknown"

    form = "#statement-card-10"
    page.select_option(f"{form} select[name=answer]", "yes")
    page.fill(f"{form} input[name=stated_by]", "決済代行会社の管理画面")
    submit(page, f"{form} [type=submit]")
    assert page.locator("#item-card-10").get_attribute("data-verdict") == "met"
    assert "決済代行会社の管理画面" in page.inner_text("#item-card-10")
    fits(page, "/admin/evidence/")
    screenshot(page, "evidence")
    page.set_viewport_size(PHONE)
    screenshot(page, "evidence-phone")
    page.set_viewport_size(VIEWPORT)

    with page.expect_download() as download:
        page.click("#evidence-pack-form [type=submit]")
    archive = open(download.value.path(), "rb").read()
    assert pack.verify(archive).intact
    assert "evidence.html" in zipfile.ZipFile(io.BytesIO(archive)).namelist()

    visit(page, "/admin/evidence/print/")
    fits(page, "/admin/evidence/print/")
    page.emulate_media(media="print")
    assert page.locator("#nav-sidebar").count() == 0
    assert not page.locator(".no-print").first.is_visible()
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    screenshot(page, "evidence-print")
    page.emulate_media(media="screen")
    page.set_viewport_size(VIEWPORT)


def test_the_manager_cannot_open_the_evidence_page(open_page, people):
    page = open_page()
    sign_in(page, people["manager"])
    assert page.locator('a[href="/admin/evidence/"]').count() == 0
    assert visit(page, "/admin/evidence/").status == 403
