import pytest

from tests.factories import make_people


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


@pytest.fixture
def test_reads():
    """The test's own assertions may decrypt (requests it makes still start outside any
    read scope, see shopguard.middleware.NoReadScopeMiddleware)."""
    from tests.reads import checking

    with checking():
        yield
