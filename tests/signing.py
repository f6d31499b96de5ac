"""Signing people in, for every test: the one shortcut and the two steps of the form.

- ``signed_in(client, user)``: a finished sign-in without typing anything, second factor
  included (optionally re-authenticated just now). The ``client`` fixture's
  ``force_login`` is the same thing (``SignedInClient``, tests/conftest.py).
- ``password_step(client, person)``: the sign-in form's first step, as a browser posts it.
- ``sign_in_with_code(client, user, device)``: both steps of the form, password then the
  authenticator's code.
"""

import time

import django_otp
from django.http import HttpRequest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from accounts.reauth import SESSION_KEY as REAUTH_KEY
from tests.factories import PASSWORD

LOGIN_URL = "/admin/login/"
TEST_DEVICE_NAME = "test sign-in"
BROWSER = "pytest-browser"


def signed_in(client, user, *, reauthenticated=False, second_factor=True):
    """``client`` signed in as ``user`` as the sign-in form leaves a session: the second
    factor confirmed (for an active user), and the password re-confirmed just now when
    ``reauthenticated``. ``second_factor=False`` makes the session any other login path
    would, which the admin refuses while two-factor is required. Returns ``client``."""
    Client.force_login(client, user)
    if second_factor and user.is_active:
        confirm_second_factor(client, user)
    if reauthenticated:
        reauthenticate(client)
    return client


class SignedInClient(Client):
    """Django's test client whose ``force_login`` is ``signed_in``: a finished sign-in,
    second factor included, so tests of pages need not type codes."""

    def force_login(self, user, backend=None):
        signed_in(self, user)


def confirm_second_factor(client, user):
    """Mark ``client``'s session as the sign-in's second step does (accounts.signin):
    the flag, and a confirmed device django-otp verifies. The device has no codes, so it
    never makes re-authentication ask for one."""
    from accounts.signin import SECOND_FACTOR_KEY

    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=TEST_DEVICE_NAME, defaults={"confirmed": True}
    )
    request = HttpRequest()
    request.session = client.session
    request.user = user
    django_otp.login(request, device)
    request.session[SECOND_FACTOR_KEY] = True
    request.session.save()


def reauthenticate(client, at=None):
    """Mark the client's session as re-authenticated at ``at`` (a timestamp; now by
    default), as the re-authentication form does."""
    session = client.session
    session[REAUTH_KEY] = time.time() if at is None else at
    session.save()
    return client


def enrol(user):
    """Give ``user`` a confirmed authenticator and recovery codes; return both."""
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return device, twofactor.new_recovery_codes(user)


def password_step(client, person, password=PASSWORD, *, ip=None, next_url="/admin/"):
    """POST the sign-in form's password step. ``person`` is a user or the name as typed;
    ``ip`` the browser's address (the test client's 127.0.0.1 when not given)."""
    username = getattr(person, "username", person)
    headers = {"HTTP_USER_AGENT": BROWSER}
    if ip is not None:
        headers["REMOTE_ADDR"] = ip
    return client.post(
        f"{LOGIN_URL}?next={next_url}", {"username": username, "password": password}, **headers
    )


def sign_in_with_code(client, user, device):
    """Password, then the authenticator's current code: a full sign-in through the form."""
    password_step(client, user)
    response = client.post("/admin/two-factor/", {"code": twofactor.current_code(device)})
    assert response.status_code == 302, response
    return response
