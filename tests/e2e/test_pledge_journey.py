"""A new person's first customer page: the house rules first, accepted with the box,
then the customer list (policy.rules)."""

import pytest

from tests.e2e.conftest import Person, check_page, screenshot, sign_in, submit, visit

NEWCOMER_SCRIPT = """
import json
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
from accounts.roles import set_role
from accounts.twofactor import AUTHENTICATOR_NAME, new_recovery_codes

user = get_user_model().objects.create_user(username="newcomer", password=%(password)r)
set_role(user, "staff")
device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=True)
print(json.dumps({"username": "newcomer", "key": device.key, "codes": new_recovery_codes(user)}))
"""


@pytest.fixture(scope="module")
def newcomer(app):
    """A staff member added after the demo was seeded: they have not read the rules."""
    password = app.env_value("DEMO_PASSWORD")
    facts = app.shell(NEWCOMER_SCRIPT % {"password": password})
    return Person("staff", password=password, **facts)


def test_a_new_person_accepts_the_house_rules_before_the_customer_list(open_page, newcomer):
    page = open_page()
    sign_in(page, newcomer)
    response = visit(page, "/admin/customers/customer/")
    assert response.status == 403
    assert page.locator("#rules-gate").count() == 1
    assert "USBメモリ" in page.inner_text("#house-rules")
    assert page.locator("#result_list").count() == 0
    screenshot(page, "house-rules-gate")
    # Without the box ticked the browser does not send the form; with it, it does.
    page.check("#id_confirm")
    submit(page, "#rules-accept-form [type=submit]")
    assert page.url.endswith("/admin/customers/customer/"), page.url
    assert page.locator("#result_list tbody tr").count() > 0
    screenshot(page, "house-rules-accepted-customer-list")
    visit(page, "/admin/policy/rules/")
    assert page.locator("#rules-accepted").count() == 1
    check_page(page)
