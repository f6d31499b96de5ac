"""Wrong second-factor codes sent in parallel on one pending sign-in (issue #11, finding 4).

"Checked" means a code was compared: the test counts the authenticator's verify calls.
"""

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from accounts.signin import PENDING_KEY
from tests.parallel import PARALLEL, CallCounter, Visitor, burst, statuses
from tests.signing import enrol, password_step
from vault.limits import SECOND_FACTOR_CODES

pytestmark = PARALLEL

BURST = 50
STEP = "/admin/two-factor/"


def test_fifty_parallel_wrong_codes_are_checked_at_most_five_times(
    server_url, people, settings, monkeypatch
):
    settings.SHOPGUARD_REQUIRE_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp's own wait would hide the count
    device, _ = enrol(people.carol)
    client = Client()
    assert password_step(client, people.carol)["Location"] == STEP
    assert PENDING_KEY in client.session
    visitor = Visitor(client.session.session_key)
    checks = CallCounter()
    monkeypatch.setattr(TOTPDevice, "verify_token", checks.wrap(TOTPDevice.verify_token))

    answers = burst(BURST, lambda i: visitor.post(server_url + STEP, {"code": "111111"}))

    print(f"code checks: {checks.calls} of {BURST}; answers {dict(statuses(answers))}")
    assert checks.calls <= SECOND_FACTOR_CODES.number
    assert set(statuses(answers)) <= {200, 302}  # the form again, or back to the password
    ended = [a for a in answers if a.status == 302]
    assert ended and all(a.location == "/admin/login/" for a in ended)
    # The attempt is over: even the right code now asks for the password again.
    answer = visitor.post(server_url + STEP, {"code": twofactor.current_code(device)})
    assert answer.status == 302 and answer.location == "/admin/login/"
    assert checks.calls <= SECOND_FACTOR_CODES.number
