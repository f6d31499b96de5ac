"""Two-factor sign-in: an authenticator app (TOTP) plus ten single-use recovery codes.

A TOTP code is accepted once: django-otp's ``TOTPDevice`` keeps the time step of the last
accepted code (``last_t``) and only accepts later ones. A recovery code is deleted when
it is used. Every refused code is recorded as ``auth.2fa_failed``.
"""

import base64
import io
import re
import time

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django_otp import user_has_device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.notices import tell_about_account_change
from audit.actions import Action, Outcome
from audit.ledger import record
from vault.japan import fold_code

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery"


def second_factor_required(user):
    """Whether ``user`` must give a second factor: always in production, and in the
    demo too for anyone who has enrolled a device."""
    return settings.SHOPGUARD_REQUIRE_2FA or user_has_device(user)


def has_authenticator(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_authenticator(user):
    """The not yet confirmed authenticator being enrolled (created on first use)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def secret_of(device):
    """The shared secret in the base32 form authenticator apps accept when typed in."""
    return base64.b32encode(device.bin_key).decode()


def qr_data_uri(device):
    """The device's otpauth:// address as a QR code, an SVG ``data:`` URI (CSP allows
    ``img-src data:``, and an ``<img>`` keeps the SVG away from the page's scripts)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def normalise(code):
    """Codes are typed by hand: fold full-width digits, letters and hyphen look-alikes
    (「１２３ー４５６」, vault.japan), then ignore spaces, hyphens and case."""
    return re.sub(r"[\s\-]", "", fold_code(code or "")).lower()


def is_totp_code(code):
    return re.fullmatch(r"[0-9]{6}", code) is not None


def confirm_enrolment(user, device, code, request=None):
    """Confirm the authenticator with its first code; return the new recovery codes,
    or None when the code is wrong (recorded)."""
    code = normalise(code)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not (is_totp_code(code) and device.verify_token(code)):
            record_failure(user, "enrol", request)
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        codes = new_recovery_codes(user)
        record(Action.SECOND_FACTOR_ENROLLED, request=request, actor=user, target=user)
        # A new authenticator on an account is told like every other account change:
        # after a reset, whoever enrols holds the account from then on.
        tell_about_account_change(user, Action.SECOND_FACTOR_ENROLLED, user)
    return codes


def new_recovery_codes(user):
    """Replace ``user``'s recovery codes with ten fresh ones and return them (shown once).

    The device itself stays: a session signed in with a recovery code keeps its verified
    second factor (django-otp forgets a session's device once the device is deleted).
    """
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    StaticToken.objects.filter(device=device).delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def verify_second_factor(user, code, step, request=None):
    """Check a TOTP or recovery code of ``user``; return the device that accepted it.

    A refused code is recorded as ``auth.2fa_failed`` with the step it was given at
    (``sign_in`` or ``reauth``) and never reveals which part was wrong.
    """
    code = normalise(code)
    model = TOTPDevice if is_totp_code(code) else StaticDevice
    with transaction.atomic():
        devices = model.objects.select_for_update().filter(user=user, confirmed=True)
        for device in devices:
            if device.verify_token(code):
                if model is StaticDevice:
                    record(
                        Action.RECOVERY_CODE_USED,
                        request=request,
                        actor=user,
                        target=user,
                        detail={"left": device.token_set.count()},
                    )
                return device
    record_failure(user, step, request)
    return None


def record_failure(user, step, request):
    record(
        Action.SECOND_FACTOR_FAILED,
        request=request,
        actor=user,
        outcome=Outcome.REFUSED,
        target=user,
        detail={"step": step},
    )


def current_code(device, at=None):
    """The code ``device`` shows now (for tests and the browser check)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


def reset(user):
    """Remove ``user``'s authenticator and recovery codes; they enrol again at sign-in."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
