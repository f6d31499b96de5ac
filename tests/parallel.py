"""Real parallel requests for the limit tests: a threaded server on 127.0.0.1 and a burst of
clients released together by a barrier.

The SQLite test database is a file (DATABASES' TEST NAME in settings), so the server's
threads each have their own connection and meet SQLite's real locking; on PostgreSQL,
its row locks. Tests take the ``server_url`` fixture (tests/conftest.py) and are marked
``PARALLEL``: they commit, and like every transactional test they leave the database
flushed (roles and permissions made again, as after ``migrate``).
"""

import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, namedtuple
from contextlib import contextmanager

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test import Client
from django.test.testcases import LiveServerThread

from tests.signing import reauthenticate, signed_in

# A wave of parallel requests commits (transactional) and takes seconds: marked slow.
PARALLEL = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
# Seconds: the whole burst must finish within this, and so must each request.
TIMEOUT = 60


class _Server(ThreadedWSGIServer):
    request_queue_size = 128  # the whole burst connects at once


class _ServerThread(LiveServerThread):
    server_class = _Server


@contextmanager
def serving():
    """A threaded server on 127.0.0.1 only (each request in its own thread); its URL."""
    thread = _ServerThread("127.0.0.1", StaticFilesHandler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait(timeout=10)
    if thread.error:
        raise thread.error
    try:
        yield f"http://127.0.0.1:{thread.port}"
    finally:
        thread.terminate()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to count, not to follow


_opener = urllib.request.build_opener(_NoRedirects)
# status is None when no answer came (refused connection, timeout).
Answer = namedtuple("Answer", "status body location")


class Visitor:
    """One browser's cookies: a session (optional) and a CSRF cookie with its token."""

    def __init__(self, session_key=None):
        self.csrf = secrets.token_hex(16)  # 32 characters: Django's unmasked secret form
        self.cookies = f"csrftoken={self.csrf}"
        if session_key:
            self.cookies += f"; sessionid={session_key}"

    def post(self, url, fields, headers=None):
        """POST ``fields`` (with extra ``headers``); returns an Answer."""
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": self.csrf}).encode()
        headers = {"Cookie": self.cookies, **(headers or {})}
        request = urllib.request.Request(url, data, headers=headers)
        try:
            with _opener.open(request, timeout=TIMEOUT) as response:
                return Answer(response.status, response.read().decode(), None)
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode(), error.headers.get("Location"))
        except OSError as error:
            return Answer(None, repr(error), None)

    def get(self, url):
        """GET ``url`` with this visitor's cookies; returns an Answer."""
        request = urllib.request.Request(url, headers={"Cookie": self.cookies})
        try:
            with _opener.open(request, timeout=TIMEOUT) as response:
                return Answer(response.status, response.read().decode(), None)
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode(), error.headers.get("Location"))


def signed_in_visitor(user, reauthenticated=False):
    """A visitor holding a session signed in as ``user`` (saved in the database); when
    ``reauthenticated``, confirmed 10 minutes ahead so it is still recent when the burst
    runs."""
    client = signed_in(Client(), user)
    if reauthenticated:
        reauthenticate(client, at=time.time() + 600)
    return Visitor(client.session.session_key)


def burst(count, send):
    """Run ``send(i)`` in ``count`` threads released together; return the answers in order."""
    barrier = threading.Barrier(count, timeout=TIMEOUT)
    answers = [None] * count

    def run(i):
        barrier.wait()
        answers[i] = send(i)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "the burst did not finish"
    return answers


def statuses(answers):
    return Counter(answer.status for answer in answers)


class CallCounter:
    """Counts calls of a wrapped function across the server's threads."""

    def __init__(self):
        self.calls, self._lock = 0, threading.Lock()

    def wrap(self, function):
        def counted(*args, **kwargs):
            with self._lock:
                self.calls += 1
            return function(*args, **kwargs)

        return counted
