"""The auditor: reads the ledger and "who looked at this customer", and cannot open a
customer (the list or a customer's page is refused with the 403 page)."""

import pytest

from tests.e2e.conftest import screenshot, sign_in, visit

FIRST_CUSTOMER_SCRIPT = """
import json
from customers.models import Customer
first = Customer.objects.order_by("created_at", "pk").values_list("pk", flat=True)[0]
print(json.dumps(str(first)))
"""


@pytest.fixture(scope="module")
def customer_id(app):
    """A seeded customer's id (an id only: the auditor's journey never sees values)."""
    return app.shell(FIRST_CUSTOMER_SCRIPT)


def test_auditor_reads_the_ledger_and_who_looked_but_cannot_open_a_customer(
    open_page, people, customer_id
):
    page = open_page()
    sign_in(page, people["auditor"])
    assert page.locator('a[href="/admin/audit/auditentry/"]').count() >= 1
    visit(page, "/admin/audit/auditentry/")
    assert page.locator("#result_list tbody tr").count() >= 1
    screenshot(page, "ledger")

    visit(page, f"/admin/audit/auditentry/customer/{customer_id}/")
    assert page.url.endswith(f"?customer={customer_id}"), page.url
    assert page.locator("#changelist").count() == 1

    for path in ("/admin/customers/customer/", f"/admin/customers/customer/{customer_id}/change/"):
        assert visit(page, path).status == 403, path
        assert "このページを表示する権限がありません。" in page.inner_text("body")


def test_auditor_reads_the_ledger_in_words(open_page, people):
    page = open_page()
    sign_in(page, people["auditor"])
    visit(page, "/admin/audit/auditentry/")
    # Roles in Japanese (the filter offers 監査担当, not "auditor"), targets in words
    # rather than "auth.user 4", and the table fits the 1280 px window.
    assert "監査担当" in page.inner_text("#changelist-filter")
    assert "auth.user" not in page.inner_text("#result_list")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280
