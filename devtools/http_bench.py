"""Load benchmark: the real app under gunicorn, driven by concurrent signed-in clients.

Where it runs: in a throwaway database of the configured kind (``bench.throwaway_database``:
a SQLite file in a fresh temporary directory, or a new database on the PostgreSQL server
of ``DATABASE_URL``). Child processes migrate it, seed it with ``seed_demo`` and serve it
with gunicorn on 127.0.0.1, all with ``DATABASE_URL`` pointing at it; the configured
database is never opened by them. Gunicorn is stopped and the database dropped at the
end, whatever happens (an error, a timeout, Ctrl-C).

What it measures: every client (a thread with its own cookie jar) signs in as
``demo-owner``, then the clients together make a fixed number of requests of each page
kind, the pages taking turns in rounds (a block of each per round, so that a change of
the machine's load falls on every page alike): the customer list, a customer's detail
page, an exact e-mail search (POST and the redirect it answers with: one operation), a
reveal of a phone number, and the public ``/privacy/`` page, which records nothing and
so is the baseline. A page's ratio is its mean time per request divided by
``/privacy/``'s, under the same concurrency.
"""

import http.cookiejar
import json
import math
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from random import Random

from django.conf import settings
from django.db import connections

from customers.forms import REVEAL_REASONS
from customers.models import Customer
from devtools.bench import BENCH_DB, load_average, throwaway_database
from vault.reads import bulk_read

DEMO_USER = "demo-owner"
LOGIN_PATH = "/admin/login/"
PRIVACY_PATH = "/privacy/"
CHANGELIST_PATH = "/admin/customers/customer/"
SEARCH_PATH = "/admin/customers/customer/search/"
# A valid reason that needs no note ("other" asks for one).
REVEAL_REASON = next(code for code, _ in REVEAL_REASONS if code != "other")
PAGES = ("list", "detail", "search", "reveal", "privacy")
# At most the "many customers" alert's threshold (50 distinct customers an hour), so the
# run measures pages, not one alert mail after another.
SAMPLE_CUSTOMERS = 50
# Errors shown per page: enough to see what went wrong, not a wall of the same line.
ERRORS_SHOWN = 3
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class BenchError(Exception):
    """The run could not be set up or finished; the message says why."""


@dataclass
class PageResult:
    page: str
    seconds: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    wall: float = 0.0

    @property
    def requests(self):
        return len(self.seconds) + len(self.errors)

    @property
    def mean(self):
        return sum(self.seconds) / len(self.seconds) if self.seconds else math.nan

    def percentile(self, p):
        """Nearest-rank percentile of the successful requests' times, in seconds."""
        if not self.seconds:
            return math.nan
        ordered = sorted(self.seconds)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# --- child processes -----------------------------------------------------------------


def database_url(settings_dict):
    """A ``DATABASE_URL`` (as django-environ reads it) for a connection's settings."""
    engine, name = settings_dict["ENGINE"], settings_dict["NAME"]
    if engine.endswith("sqlite3"):
        return f"sqlite:///{os.path.abspath(name)}"  # four slashes: an absolute path
    if not engine.endswith("postgresql"):
        raise BenchError(f"bench_http knows SQLite and PostgreSQL, not {engine}.")
    quote = lambda value: urllib.parse.quote(str(value or ""), safe="")  # noqa: E731
    credentials = quote(settings_dict.get("USER"))
    if settings_dict.get("PASSWORD"):
        credentials += f":{quote(settings_dict['PASSWORD'])}"
    host = quote(settings_dict.get("HOST") or "localhost")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    options = {k: v for k, v in (settings_dict.get("OPTIONS") or {}).items() if isinstance(v, str)}
    query = f"?{urllib.parse.urlencode(options)}" if options else ""
    return f"postgres://{credentials}@{host}{port}/{quote(name)}{query}"


def child_environment(url, password):
    """The environment of every child: the throwaway database, the local demo's switches."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
        "DATABASE_URL": url,
        "DEMO_PASSWORD": password,
        "SHOPGUARD_REQUIRE_2FA": "0",
        "SHOPGUARD_HTTPS": "0",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
    }


def manage(env, *arguments, timeout):
    """Run ``manage.py`` in a child process; raise BenchError with its output on failure."""
    command = [sys.executable, str(settings.BASE_DIR / "manage.py"), *arguments]
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            command,
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=max(1, timeout),
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"manage.py {arguments[0]} took more than {timeout:.0f} s") from None
    if done.returncode:
        tail = (done.stdout + done.stderr).strip().splitlines()[-10:]
        raise BenchError(f"manage.py {arguments[0]} failed:\n" + "\n".join(tail))
    return done.stdout


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(env, workers, log_path, while_booting, deadline):
    """Serve the app on a free loopback port until ``/privacy/`` answers; stop it after.

    ``while_booting()`` runs while the workers load Django (seconds on a loaded machine).
    Yields the base URL. Gunicorn gets a session of its own, so a Ctrl-C reaches this
    process only and the server is stopped here, in order, like on any other exit.
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "shopguard.wsgi",
        "-w",
        str(workers),
        "-k",
        "sync",
        "-b",
        f"127.0.0.1:{port}",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
    ]
    with open(log_path, "w", encoding="utf-8") as log:
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
            command,
            env=env,
            cwd=settings.BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        while_booting()
        wait_until_serving(server, base, log_path, deadline)
        yield base
    finally:
        stop(server)


def wait_until_serving(server, base, log_path, deadline):
    # Booting Django in each worker takes seconds on a loaded machine; a minute is plenty.
    give_up = min(deadline, time.monotonic() + 60)
    while time.monotonic() < give_up:
        if server.poll() is not None:
            raise BenchError("gunicorn exited at start-up:\n" + log_tail(log_path))
        try:
            with urllib.request.urlopen(base + PRIVACY_PATH, timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    raise BenchError("gunicorn did not answer /privacy/ in time:\n" + log_tail(log_path))


def stop(server):
    """Stop gunicorn: TERM (workers finish their request), KILL if it lingers."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # its own session: gunicorn and workers
            server.wait(timeout=15)


def log_tail(path, lines=20):
    try:
        with open(path, encoding="utf-8", errors="replace") as log:
            return "".join(log.readlines()[-lines:])
    except OSError:
        return "(no log)"


def close_server_connections(name):
    """PostgreSQL: end sessions gunicorn left on the throwaway database, so it can be dropped."""
    default = connections["default"]
    if default.vendor != "postgresql":
        return
    with default._nodb_cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )


# --- clients -------------------------------------------------------------------------


class Client:
    """One signed-in browser: its own cookie jar, every request with a timeout."""

    def __init__(self, base, timeout, deadline, stopping):
        self.base, self.timeout, self.deadline, self.stopping = base, timeout, deadline, stopping
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def open(self, path, data=None):
        """GET (or POST ``data``), following redirects; return (status, final URL, body)."""
        left = self.deadline - time.monotonic()
        if left <= 0 or self.stopping.is_set():
            raise TimeoutError("--max-seconds reached" if left <= 0 else "run stopped")
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        self.last = f"{'GET' if body is None else 'POST'} {path}"
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310 - http://127.0.0.1
        try:
            with self.opener.open(request, timeout=min(self.timeout, left)) as response:
                return response.status, response.url, response.read()
        except urllib.error.HTTPError as refused:
            refused.read()
            return refused.code, refused.url, b""

    def csrf_token(self):
        return next(c.value for c in self.cookies if c.name == settings.CSRF_COOKIE_NAME)

    def sign_in(self, password):
        status, _, page = self.open(LOGIN_PATH)
        found = CSRF_INPUT.search(page.decode(errors="replace"))
        if status != 200 or not found:
            raise BenchError(f"the sign-in page answered {status} without a CSRF token")
        form = {
            "csrfmiddlewaretoken": found.group(1),
            "username": DEMO_USER,
            "password": password,
            "next": "/admin/",
        }
        status, url, _ = self.open(LOGIN_PATH, form)
        if status != 200 or urllib.parse.urlsplit(url).path == LOGIN_PATH:
            raise BenchError(f"{DEMO_USER} could not sign in (status {status}, at {url})")


def page_requests(samples):
    """For each page kind, a function (client, i) doing its i-th request.

    It returns the status, or a message when a 2xx answer is not the page asked for (a
    redirect to the sign-in page, a search that found nothing): both count as errors.
    """

    def signed_in(answer):
        status, url, body = answer
        if urllib.parse.urlsplit(url).path == LOGIN_PATH:
            return f"sent to the sign-in page (status {status})", body
        return status, body

    def list_page(client, i):
        return signed_in(client.open(CHANGELIST_PATH))[0]

    def detail(client, i):
        pk, _ = samples[i % len(samples)]
        return signed_in(client.open(f"{CHANGELIST_PATH}{pk}/change/"))[0]

    def search(client, i):
        pk, email = samples[i % len(samples)]
        form = {"csrfmiddlewaretoken": client.csrf_token(), "q": email}
        status, url, body = client.open(SEARCH_PATH, form)
        if status == 200 and ("?s=" not in url or pk.encode() not in body):
            return f"the search for a known e-mail did not list its customer (at {url})"
        return signed_in((status, url, body))[0]

    def reveal(client, i):
        pk, _ = samples[i % len(samples)]
        form = {"csrfmiddlewaretoken": client.csrf_token(), "reason_code": REVEAL_REASON}
        return signed_in(client.open(f"{CHANGELIST_PATH}{pk}/reveal/phone/", form))[0]

    def privacy(client, i):
        return client.open(PRIVACY_PATH)[0]

    return {
        "list": list_page,
        "detail": detail,
        "search": search,
        "reveal": reveal,
        "privacy": privacy,
    }


def shares(total, parts):
    """Split ``total`` requests over ``parts`` clients as evenly as possible."""
    return [total // parts + (1 if k < total % parts else 0) for k in range(parts)]


def run_page(page, do, clients, total, pool):
    """All clients together make ``total`` requests of one page kind; time each one."""
    result = PageResult(page)
    lock = threading.Lock()

    def work(k, client, count):
        for n in range(count):
            i = k + n * len(clients)  # clients take turns through the sample customers
            started = time.perf_counter()
            try:
                status = do(client, i)
            except Exception as failure:  # noqa: BLE001 - every failure is counted and shown
                status = f"{type(failure).__name__}: {failure}"
            elapsed = time.perf_counter() - started
            with lock:
                if isinstance(status, int) and 200 <= status < 400:
                    result.seconds.append(elapsed)
                elif isinstance(status, int):
                    result.errors.append(f"{status} on {getattr(client, 'last', '?')}")
                else:
                    result.errors.append(status)

    started = time.perf_counter()
    futures = [
        pool.submit(work, k, client, count)
        for k, (client, count) in enumerate(zip(clients, shares(total, len(clients)), strict=True))
    ]
    for future in futures:
        future.result()
    result.wall = time.perf_counter() - started
    return result


# --- the run -------------------------------------------------------------------------


@dataclass
class Plan:
    customers: int
    clients: int
    requests: int
    workers: int
    max_seconds: float
    timeout: float
    rounds: int = 1


def sample_customers():
    """(pk, e-mail) of up to SAMPLE_CUSTOMERS customers of the throwaway database."""
    pks = list(Customer.objects.using(BENCH_DB).values_list("pk", flat=True))
    chosen = Random(12).sample(pks, min(SAMPLE_CUSTOMERS, len(pks)))  # noqa: S311
    customers = Customer.objects.using(BENCH_DB).in_bulk(chosen)
    with bulk_read("bench"):  # fake customers of the throwaway database, to search for
        return [(str(pk), customers[pk].email) for pk in chosen]


def run(plan, out=print):
    """Set up, measure and print; tear everything down.

    Returns the PageResults by page and the warm-up's errors."""
    deadline = time.monotonic() + plan.max_seconds
    with throwaway_database() as where, tempfile.TemporaryDirectory() as scratch:
        name = connections[BENCH_DB].settings_dict["NAME"]
        password = f"bench-{secrets.token_urlsafe(18)}"
        env = child_environment(database_url(connections[BENCH_DB].settings_dict), password)
        out(f"Throwaway database: {where} (deleted afterwards; the configured one is untouched)")
        try:
            return prepare_and_measure(plan, env, password, deadline, scratch, out)
        finally:
            connections[BENCH_DB].close()
            close_server_connections(name)


def remaining(deadline):
    left = deadline - time.monotonic()
    if left <= 0:
        raise BenchError("--max-seconds reached before the requests were made")
    return left


def prepare_and_measure(plan, env, password, deadline, scratch, out):
    started = time.perf_counter()
    manage(env, "migrate", "--noinput", timeout=remaining(deadline))
    out(f"Migrated in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()

    def seed():
        manage(env, "seed_demo", "--customers", str(plan.customers), timeout=remaining(deadline))
        out(f"Seeded {plan.customers} customers in {time.perf_counter() - started:.1f} s")

    log_path = os.path.join(scratch, "gunicorn.log")
    with gunicorn(env, plan.workers, log_path, seed, deadline) as base:
        out(f"gunicorn answered /privacy/ {time.perf_counter() - started:.1f} s after migrating")
        samples = sample_customers()
        if not samples:
            raise BenchError("the throwaway database has no customers to look at")
        out(
            f"gunicorn: {plan.workers} sync workers on {base}; {plan.clients} clients "
            f"(threads, each signed in as {DEMO_USER} with its own cookies), "
            f"{plan.requests} requests per page in {plan.rounds} rounds"
        )
        out(f"load average before: {load_average()}")
        results, warm_errors = drive(plan, base, password, samples, deadline, out)
        out(f"load average after: {load_average()}")
    out(f"server errors logged: {logged_errors(log_path)}")
    report(results, warm_errors, plan, out)
    return results, warm_errors


def drive(plan, base, password, samples, deadline, out):
    """Sign every client in, warm each page once per client, then measure the pages in
    ``plan.rounds`` rounds, each page's block in turn.

    Returns the PageResults by page and the warm-up's errors (which count too)."""
    stopping = threading.Event()
    clients = [Client(base, plan.timeout, deadline, stopping) for _ in range(plan.clients)]
    requests = page_requests(samples)
    with ThreadPoolExecutor(plan.clients, thread_name_prefix="bench-client") as pool:
        try:
            for signed_in in [pool.submit(c.sign_in, password) for c in clients]:
                signed_in.result()
            # One untimed request of each kind per client: templates, URL resolvers and
            # the database's caches are loaded before the clock starts. Its errors count.
            warm = [
                e
                for p in PAGES
                for e in run_page(p, requests[p], clients, len(clients), pool).errors
            ]
            out(f"warm-up: {len(clients)} untimed requests per page, errors {len(warm)}")
            if warm:
                out(f"  first errors: {'; '.join(warm[:ERRORS_SHOWN])}")
            results = in_rounds(requests, clients, plan, pool)
            for page in PAGES:
                out_page(results[page], out)
        except BaseException:
            stopping.set()  # the other clients stop at their next request
            raise
    return results, warm


def in_rounds(requests, clients, plan, pool):
    """``plan.requests`` requests of each page, the pages taking turns in ``plan.rounds``
    blocks, so that a change of the machine's load during the run falls on every page
    alike. Returns the PageResults by page (times, errors and wall time summed)."""
    results = {page: PageResult(page) for page in PAGES}
    for block in shares(plan.requests, plan.rounds):
        for page in PAGES:
            done = run_page(page, requests.get(page), clients, block, pool)
            results[page].seconds += done.seconds
            results[page].errors += done.errors
            results[page].wall += done.wall
    return results


def out_page(r, out):
    rate = r.requests / r.wall if r.wall else math.nan
    ms = {p: r.percentile(p) * 1000 for p in (50, 95, 99)}
    out(
        f"page {r.page}: {r.requests} requests, {rate:.1f} req/s, mean {r.mean * 1000:.1f} ms, "
        f"p50 {ms[50]:.1f} ms, p95 {ms[95]:.1f} ms, p99 {ms[99]:.1f} ms, "
        f"errors {len(r.errors)}"
    )
    if r.errors:
        out(f"  first errors: {'; '.join(str(e) for e in r.errors[:ERRORS_SHOWN])}")


def logged_errors(log_path):
    """What the server logged at ERROR, counted by exception type (the log keeps no text)."""
    counted = Counter()
    try:
        with open(log_path, encoding="utf-8", errors="replace") as log:
            for line in log:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and entry.get("level") in {"ERROR", "CRITICAL"}:
                    counted[entry.get("exception") or entry.get("message", "?")[:80]] += 1
    except OSError:
        pass
    return ", ".join(f"{name} x{n}" for name, n in counted.most_common()) or "nothing"


def report(results, warm_errors, plan, out):
    out(
        "ratio http_<page>_vs_privacy = the page's mean time per request / /privacy/'s, "
        f"both under {plan.clients} concurrent clients on {plan.workers} gunicorn workers"
    )
    baseline = results["privacy"].mean
    for page in PAGES[:-1]:
        out(f"ratio http_{page}_vs_privacy {results[page].mean / baseline:.2f}")
    out(f"errors total {len(warm_errors) + sum(len(r.errors) for r in results.values())}")
