"""What every test needs, and the fixtures tests across apps ask for by name.

Every test: a fast password hasher, the project's language, and the mail check (no mail
carries customer data, an archive or its password). Everything else is a fixture a test
asks for: ``client`` (signed in by ``force_login``, second factor included), ``people``,
``clock``, ``server_url``, ``test_reads``. How to run a subset and add a test:
docs/testing.md.
"""

import threading
import time

import pytest
import time_machine
from django.utils import translation

from tests.factories import make_people
from tests.parallel import serving
from tests.signing import SignedInClient


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Tests hash with MD5 for speed; test_security checks the real Argon2 list."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the project's language (Japanese). A request in English leaves
    English active in the thread (LocaleMiddleware activates, nothing deactivates), and a
    test must not depend on which tests ran before it on its worker."""
    translation.deactivate()


@pytest.fixture(autouse=True)
def background_work_inline(monkeypatch):
    """Work a page starts in the background (the ledger verification) runs in the
    request's own thread: a thread of its own would not see the test's transaction."""
    from upkeep import views

    monkeypatch.setattr(views, "start_in_background", lambda run: run())


@pytest.fixture
def client():
    """Django's test client, whose ``force_login`` stands for a finished sign-in, second
    factor included (tests.signing.signed_in): the admin refuses any session without one
    (fail closed), and tests of pages need not type codes."""
    return SignedInClient()


@pytest.fixture
def people(db):
    return make_people()


@pytest.fixture
def hanako(db):
    """山田 花子, the customer most tests work with, every personal field filled in
    (tests.customers.vault.HANAKO)."""
    from tests.customers.vault import make_customer

    return make_customer()


@pytest.fixture
def server_url():
    """The URL of a threaded server on 127.0.0.1 for real parallel requests."""
    with serving() as url:
        yield url


class Clock:
    """``advance(seconds)`` moves every clock of the process forward (time-machine)."""

    def __init__(self, traveller):
        self._traveller = traveller

    def advance(self, seconds):
        self._traveller.shift(seconds)


@pytest.fixture
def clock():
    """Move time without sleeping: ``clock.advance(seconds)``. Time keeps running from
    there; code that took ``time.time`` or ``timezone.now`` by name sees it too."""
    with time_machine.travel(time.time(), tick=True) as traveller:
        yield Clock(traveller)


@pytest.fixture
def test_reads():
    """The test's own assertions may decrypt (requests it makes still start outside any
    read scope, see vault.middleware.NoReadScopeMiddleware)."""
    from tests.reads import checking

    with checking():
        yield


# Under -n (pytest-xdist) ------------------------------------------------------------

# Tests are dealt out to the workers one at a time, except each of these, which one worker
# runs whole and in order: the browser journeys share one app and one browser per worker
# and follow each other, the bench tests share an expensive module-scoped run.
ONE_WORKER_EACH = (
    "tests/e2e/",
    "tests/devtools/test_bench_http.py",
    "tests/devtools/test_bench_export.py",
)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """xdist's default ``--dist load``, keeping each of ONE_WORKER_EACH on one worker (the
    largest go first). xdist's own ``--dist loadgroup`` does not group under pytest 9.2
    (pytest-dev/pytest-xdist#1386)."""
    if config.getvalue("dist") != "load":
        return None  # a --dist the developer chose
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return next((path for path in ONE_WORKER_EACH if nodeid.startswith(path)), nodeid)

    return Scheduling(config, log)


# The browser journeys' axe-core summary comes back from the worker that ran them.


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    summary = getattr(node, "workeroutput", {}).get("axe_summary")
    if summary:
        node.config.axe_summaries = [*getattr(node.config, "axe_summaries", []), summary]


def pytest_terminal_summary(terminalreporter, config):
    for summary in getattr(config, "axe_summaries", []):
        terminalreporter.write_sep("=", "axe-core summary")
        terminalreporter.write(summary)


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

    check = _MailCheck()
    real_password = exports.archive.new_archive_password

    def issued_password():
        password = real_password()
        check.passwords.append(password)
        return password

    monkeypatch.setattr(exports.archive, "new_archive_password", issued_password)
    monkeypatch.setattr(exports.views, "new_archive_password", issued_password)
    real_send = locmem.EmailBackend.send_messages

    def checked_send(backend, messages):
        for message in messages:
            check.mail(message)
        return real_send(backend, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", checked_send)


class _MailCheck:
    """One test's mail check. Customers' personal values are decrypted once per stored
    version of a row, not once per mail: a row is opened again only when its sealed
    record changed since the last mail (a parallel test's threads share the check)."""

    def __init__(self):
        self.passwords = []
        self._opened = {}  # customer pk -> (its sealed record as stored, its values)
        self._lock = threading.Lock()

    def mail(self, message):
        text = _mail_text(message)
        for name, data in _attachments(message):
            assert not data.startswith(b"PK") and not str(name).endswith(".zip"), (
                "a mail holds an archive"
            )
            text += "\n" + data.decode("utf-8", "replace")
        assert not any(p in text for p in self.passwords), "a mail holds an archive password"
        leaked = [
            pk
            for pk, values in self._customer_values()
            if any(len(v) >= _MAIL_CHECK_MIN_CHARS and v in text for v in values)
        ]
        assert not leaked, f"a mail holds personal data of {len(leaked)} customer(s)"

    def _customer_values(self):
        """(pk, personal values) of every customer stored now."""
        from django.db import connection

        # The check's own queries are left out of the connection's log, so a test counting
        # the queries of the work that sent the mail sees only that work's.
        log = connection.queries_log
        logged = len(log)
        try:
            if "customers_customer" not in connection.introspection.table_names():
                return []
            with self._lock:
                return self._refresh()
        finally:
            while len(log) > logged:
                log.pop()

    def _refresh(self):
        from customers.models import PERSONAL_FIELDS, Customer
        from tests.reads import checking

        stored = {
            pk: bytes(sealed or b"") for pk, sealed in Customer.objects.values_list("pk", "sealed")
        }
        changed = [
            pk for pk, sealed in stored.items() if self._opened.get(pk, (None,))[0] != sealed
        ]
        if changed:
            with checking():
                for customer in Customer.objects.filter(pk__in=changed).iterator():
                    values = [str(getattr(customer, f) or "") for f in PERSONAL_FIELDS]
                    self._opened[customer.pk] = (stored[customer.pk], values)
        return [(pk, self._opened[pk][1]) for pk in stored if pk in self._opened]


def _mail_text(message):
    parts = [message.subject, message.body]
    parts += [content for content, _type in getattr(message, "alternatives", [])]
    return "\n".join(str(p) for p in parts)


def _attachments(message):
    """(file name, content as bytes) of each attachment of ``message``."""
    for attachment in message.attachments:
        name, content = (
            (attachment[0], attachment[1])
            if isinstance(attachment, tuple)
            else (
                attachment.get_filename() or "",
                attachment.get_payload(decode=True) or b"",
            )
        )
        yield name, content if isinstance(content, bytes) else str(content).encode()
