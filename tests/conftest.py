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
    """Move time without sleeping: clock.advance(seconds) shifts time.time and now()."""
    import time as time_module
    from datetime import timedelta

    from django.utils import timezone

    class Clock:
        offset = 0.0

        def advance(self, seconds):
            self.offset += seconds

    clock = Clock()
    real_time = time_module.time
    real_now = timezone.now
    monkeypatch.setattr(time_module, "time", lambda: real_time() + clock.offset)
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(seconds=clock.offset))
    return clock
