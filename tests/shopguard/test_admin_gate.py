"""Two-factor fails closed: while SHOPGUARD_REQUIRE_2FA is on, only a session whose second
factor was confirmed at sign-in (and that django-otp still verifies) opens the admin and
the vault views. A session made by any other path is refused."""

from django_otp.plugins.otp_static.models import StaticDevice

from accounts import twofactor
from tests.signing import TEST_DEVICE_NAME, enrol, password_step, signed_in

ADMIN = "/admin/"
VAULT_PAGES = ["/admin/exports/", "/admin/customers/import/"]


def test_a_session_without_the_second_factor_flag_opens_no_admin_page(client, people):
    signed_in(client, people.alice, second_factor=False)
    response = client.get(ADMIN)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert client.get("/admin/customers/customer/")["Location"].startswith("/admin/login/")


def test_a_session_without_the_second_factor_flag_opens_no_vault_view(client, people):
    signed_in(client, people.alice, second_factor=False)
    for page in VAULT_PAGES:
        assert client.get(page).status_code == 403, page


def test_the_flag_alone_is_not_enough_without_a_verified_device(client, people):
    client.force_login(people.alice)
    StaticDevice.objects.filter(user=people.alice, name=TEST_DEVICE_NAME).delete()
    assert client.get(ADMIN)["Location"].startswith("/admin/login/")
    assert client.get(VAULT_PAGES[0]).status_code == 403


def test_a_confirmed_second_factor_opens_the_admin(client, people):
    client.force_login(people.alice)
    assert client.get(ADMIN).status_code == 200
    assert client.get(VAULT_PAGES[0]).status_code == 200


def test_with_two_factor_off_a_session_without_the_flag_is_let_in(client, people, settings):
    settings.SHOPGUARD_REQUIRE_2FA = False
    signed_in(client, people.alice, second_factor=False)
    assert client.get(ADMIN).status_code == 200


def test_a_recovery_code_sign_in_survives_renewing_the_codes(client, people):
    _device, codes = enrol(people.carol)
    password_step(client, people.carol)
    assert client.post("/admin/two-factor/", {"code": codes[0]}).status_code == 302
    assert client.get(ADMIN).status_code == 200
    twofactor.new_recovery_codes(people.carol)
    assert client.get(ADMIN).status_code == 200
