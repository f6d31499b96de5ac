"""Signing people in the way the browser does, for the shopguard tests."""

import time

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from accounts.reauth import SESSION_KEY as REAUTH_KEY
from tests.factories import PASSWORD

LOGIN_URL = "/admin/login/"


def enrol(user):
    """Give ``user`` a confirmed authenticator and recovery codes; return both."""
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return device, twofactor.new_recovery_codes(user)


def password_step(client, user, password=PASSWORD, next_url="/admin/"):
    return client.post(
        f"{LOGIN_URL}?next={next_url}", {"username": user.username, "password": password}
    )


def sign_in(client, user, device):
    """Password, then the authenticator's current code: a full sign-in."""
    password_step(client, user)
    response = client.post("/admin/two-factor/", {"code": twofactor.current_code(device)})
    assert response.status_code == 302, response
    return response


def reauthenticate(client):
    """Mark the client's session as re-authenticated just now."""
    session = client.session
    session[REAUTH_KEY] = time.time()
    session.save()


def signed_in_clients(user, count):
    """``count`` other browsers where ``user`` is signed in (their phone, laptop...)."""
    clients = [Client() for _ in range(count)]
    for each in clients:
        each.force_login(user)
    return clients
