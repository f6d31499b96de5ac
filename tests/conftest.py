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

    Modules that imported ``now`` or ``time`` by name are patched too.
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
    read scope, see vault.middleware.NoReadScopeMiddleware)."""
    from tests.reads import checking

    with checking():
        yield


# No mail holds customer data, an archive or its password (issue #14) ------------------

# Shorter values (a gender code, a two-letter name) would match ordinary mail text.
_MAIL_CHECK_MIN_CHARS = 4


@pytest.fixture(autouse=True)
def no_mail_carries_customer_data(monkeypatch):
    """Every mail the suite sends is checked as it is sent (the database is still there):
    no customer's personal value, no zip archive, no archive password handed out in the
    test. Applies to every test through the locmem backend Django's tests use."""
    from django.core.mail.backends import locmem

    import exports.archive
    import exports.views

    passwords = []

    def issued_password():
        password = real_password()
        passwords.append(password)
        return password

    real_password = exports.archive.new_archive_password
    monkeypatch.setattr(exports.archive, "new_archive_password", issued_password)
    monkeypatch.setattr(exports.views, "new_archive_password", issued_password)
    real_send = locmem.EmailBackend.send_messages

    def checked_send(backend, messages):
        for message in messages:
            _check_mail(message, passwords)
        return real_send(backend, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", checked_send)


def _mail_text(message):
    parts = [message.subject, message.body]
    parts += [content for content, _type in getattr(message, "alternatives", [])]
    return "\n".join(str(p) for p in parts)


def _check_mail(message, passwords):
    text = _mail_text(message)
    for attachment in message.attachments:
        name, content = (
            (attachment[0], attachment[1])
            if isinstance(attachment, tuple)
            else (
                attachment.get_filename() or "",
                attachment.get_payload(decode=True) or b"",
            )
        )
        data = content if isinstance(content, bytes) else str(content).encode()
        assert not data.startswith(b"PK") and not str(name).endswith(".zip"), (
            "a mail holds an archive"
        )
        text += "\n" + data.decode("utf-8", "replace")
    assert not any(p in text for p in passwords), "a mail holds an archive password"
    leaked = _customer_values_in(text)
    assert not leaked, f"a mail holds personal data of {len(leaked)} customer(s)"


def _customer_values_in(text):
    """Ids of customers one of whose personal values appears in ``text``."""
    from django.db import connection

    from customers.models import PERSONAL_FIELDS, Customer
    from tests.reads import checking

    # The check's own queries are left out of the connection's log, so a test counting
    # the queries of the work that sent the mail sees only that work's.
    log = connection.queries_log
    logged = len(log)
    found = []
    try:
        if "customers_customer" not in connection.introspection.table_names():
            return []
        with checking():
            for customer in Customer.objects.all().iterator():
                values = (str(getattr(customer, f) or "") for f in PERSONAL_FIELDS)
                if any(len(v) >= _MAIL_CHECK_MIN_CHARS and v in text for v in values):
                    found.append(customer.pk)
    finally:
        while len(log) > logged:
            log.pop()
    return found
