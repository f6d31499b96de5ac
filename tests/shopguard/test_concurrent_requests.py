"""Many people at once: concurrent requests to a real threaded server never fail.

The test database is a file (see DATABASES in settings), so on SQLite these requests
meet the same locking a gunicorn deployment does; on PostgreSQL, its row locks.
"""

import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.test.testcases import LiveServerThread

from accounts import twofactor
from audit.models import AuditEntry
from tests.customers.vault import CHANGELIST, change_url, make_customer
from tests.factories import PASSWORD, make_person
from tests.signing import enrol
from vault.roles import STAFF

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# 8 people, as in DESIGN's "8 concurrent clients"; 4 rounds of a list and a detail page
# each keep the run to a few seconds while every person overlaps with the others.
CLIENTS = 8
ROUNDS = 4
REQUEST_TIMEOUT = 30  # seconds: a request that waits this long has failed anyway
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def server_url():
    """A threaded server on 127.0.0.1 only, each request on its own connection."""
    thread = LiveServerThread("127.0.0.1", StaticFilesHandler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait(timeout=10)
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


class Browser:
    """Just enough of a browser: cookies, CSRF tokens, redirects; records every status."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.statuses = []

    def open(self, path, form=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(self.base + path, data, timeout=REQUEST_TIMEOUT) as response:
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, body = error.code, ""
        self.statuses.append((path, status))
        return body

    def post(self, path, form):
        token = _CSRF.search(self.open(path))
        return self.open(path, {**form, "csrfmiddlewaretoken": token.group(1) if token else ""})


def work(browser, user, device, customers):
    browser.post("/admin/login/?next=/admin/", {"username": user.username, "password": PASSWORD})
    browser.post("/admin/two-factor/", {"code": twofactor.current_code(device)})
    for round_ in range(ROUNDS):
        browser.open(CHANGELIST)
        browser.open(change_url(customers[round_ % len(customers)]))


def test_concurrent_people_get_every_page_and_every_view_is_recorded(server_url):
    customers = [make_customer(email=f"c{i}@example.com") for i in range(5)]
    people = []
    for number in range(CLIENTS):
        user = make_person(f"staff{number}", STAFF)
        people.append((user, enrol(user)[0], Browser(server_url)))
    threads = [
        threading.Thread(target=work, args=(browser, user, device, customers))
        for user, device, browser in people
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    for user, _device, browser in people:
        failed = [(path, status) for path, status in browser.statuses if status != 200]
        assert failed == []
        pages = [path for path, _status in browser.statuses if path.startswith(CHANGELIST)]
        assert len(pages) == 2 * ROUNDS
        mine = AuditEntry.objects.filter(actor_id=user.pk, outcome="ok")
        assert mine.filter(action="auth.sign_in").count() == 1
        assert mine.filter(action="customer.list").count() == ROUNDS
        assert mine.filter(action="customer.view").count() == ROUNDS
