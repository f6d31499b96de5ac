import os

import pytest
from django.test import Client
from hypothesis import HealthCheck, settings

from tests.factories import confirm_second_factor, make_people, sign_in_without_second_factor
from tests.parallel import serving

# The suite's one Hypothesis profile (tests/security/test_fuzz_forms.py). 500 examples per
# form is issue #11's floor and what CI runs; SHOPGUARD_FUZZ_EXAMPLES=5000 digs deeper.
# Derandomized so a CI failure replays exactly; no example database in the checkout.
settings.register_profile(
    "shopguard",
    max_examples=int(os.environ.get("SHOPGUARD_FUZZ_EXAMPLES", "500")),
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("shopguard")


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Tests hash with MD5 for speed; test_security checks the real Argon2 list."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def force_login_confirms_the_second_factor(monkeypatch):
    """``force_login`` stands for a finished sign-in, second factor included, so tests of
    pages need not type codes; the admin refuses any session without one (fail closed)."""

    def force_login(client, user, backend=None):
        sign_in_without_second_factor(client, user, backend)
        if user.is_active:
            confirm_second_factor(client, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def people(db):
    return make_people()


@pytest.fixture
def server_url():
    """The URL of a threaded server on 127.0.0.1 for real parallel requests."""
    with serving() as url:
        yield url


@pytest.fixture
def clock(monkeypatch):
    """Move time without sleeping: clock.advance(seconds) shifts time.time and now().

    Modules that imported ``now`` or ``time`` by name (django-axes does) are patched too.
    """
    import sys
    import time as time_module
    from datetime import timedelta

    from django.utils import timezone

    class Clock:
        offset = 0.0

        def advance(self, seconds):
            self.offset += seconds

    clock = Clock()
    real_time, real_now = time_module.time, timezone.now

    def fake_time():
        return real_time() + clock.offset

    def fake_now():
        return real_now() + timedelta(seconds=clock.offset)

    monkeypatch.setattr(time_module, "time", fake_time)
    monkeypatch.setattr(timezone, "now", fake_now)
    for module in list(sys.modules.values()):
        for name, real, fake in (("now", real_now, fake_now), ("time", real_time, fake_time)):
            try:
                found = getattr(module, name, None) is real and module is not time_module
            except Exception:  # noqa: BLE001 - lazy modules may refuse attribute access
                found = False
            if found:
                monkeypatch.setattr(module, name, fake)
    return clock


@pytest.fixture
def test_reads():
    """The test's own assertions may decrypt (requests it makes still start outside any
    read scope, see shopguard.middleware.NoReadScopeMiddleware)."""
    from tests.reads import checking

    with checking():
        yield
