"""The export pages and the take-out ledger keep the admin's frame (header, sign-out)
and fit the window, at 1,280 px and at a phone's width (issue #23: the ledger was
1,393 px wide at 1,280 and 1,494 px on a phone, without the header)."""

import pytest

from tests.e2e.conftest import confirm_password, sign_in, visit

# One export that went the whole way (asked by the owner, checked by the manager,
# downloaded), so the ledger holds a full row: hash, counts, both people.
DOWNLOADED_EXPORT_SCRIPT = """
import io, json
from django.contrib.auth import get_user_model
from exports import services
User = get_user_model()
owner, manager = User.objects.get(username="demo-owner"), User.objects.get(username="demo-manager")
export = services.request_export(
    owner, purpose="配送業者への発送データの受け渡し", recipient="contractor",
    recipient_name="見本運輸株式会社", fields=["name", "address", "phone", "email"],
)
services.decide(export, manager, approve=True)
services.claim_download(export, owner, "a-long-password-for-the-test", io.BytesIO())
print(json.dumps(str(export.pk)))
"""

PHONE = {"width": 390, "height": 844}
FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(scope="module")
def downloaded_export(app):
    return app.shell(DOWNLOADED_EXPORT_SCRIPT)


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["1280px", "phone"])
def test_the_export_pages_fit_and_keep_the_admins_frame(
    open_page, people, downloaded_export, viewport
):
    page = open_page()
    if viewport:
        page.set_viewport_size(viewport)
    owner = people["owner"]
    sign_in(page, owner)
    visit(page, "/admin/exports/new/")
    confirm_password(page, owner)
    for path in (
        "/admin/exports/ledger/",
        "/admin/exports/",
        f"/admin/exports/{downloaded_export}/",
        "/admin/exports/new/",
    ):
        visit(page, path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert page.evaluate(FITS), f"{path} is {width} px wide"
        assert page.locator("#logout-form").count() == 1, path
        assert page.locator("#user-tools").count() == 1, path
