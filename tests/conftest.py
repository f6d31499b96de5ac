import os

import pytest
from hypothesis import HealthCheck, settings

from tests.factories import make_people

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


@pytest.fixture
def people(db):
    return make_people()


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
