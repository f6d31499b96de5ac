"""The export pages and the take-out ledger keep the admin's frame (header, sign-out)
and fit the window, at 1,280 px and at a phone's width (issue #23: the ledger was
1,393 px wide at 1,280 and 1,494 px on a phone, without the header)."""

import pytest

from tests.e2e.conftest import VIEWPORT, confirm_password, sign_in, visit

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


def fits_with_the_frame(page, path):
    """At 1,280 px and at a phone's width: no wider than the window, header and sign-out."""
    visit(page, path)
    for viewport in (VIEWPORT, PHONE):
        page.set_viewport_size(viewport)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert page.evaluate(FITS), f"{path} is {width} px wide at {viewport['width']} px"
        assert page.locator("#logout-form").count() == 1, path
        assert page.locator("#user-tools").count() == 1, path
    page.set_viewport_size(VIEWPORT)


def test_the_export_pages_fit_and_keep_the_admins_frame(open_page, people, downloaded_export):
    # The take-out ledger as the auditor reads it (the owner's view is the same page).
    auditor_page = open_page()
    sign_in(auditor_page, people["auditor"])
    fits_with_the_frame(auditor_page, "/admin/exports/ledger/")

    # The export pages as the manager, the owner's second person in the demo shop.
    manager_page, manager = open_page(), people["manager"]
    sign_in(manager_page, manager)
    fits_with_the_frame(manager_page, "/admin/exports/")
    fits_with_the_frame(manager_page, f"/admin/exports/{downloaded_export}/")
    visit(manager_page, "/admin/exports/new/")
    confirm_password(manager_page, manager)
    fits_with_the_frame(manager_page, "/admin/exports/new/")
