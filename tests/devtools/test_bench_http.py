import os
import re
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections, transaction

from audit.models import AuditEntry
from customers.models import Customer
from devtools import bench, http_bench
from tests.factories import entries_after, ledger_mark

PAGE_LINE = re.compile(
    r"^page (\w+): (\d+) requests, [\d.]+ req/s, mean [\d.]+ ms, p50 [\d.]+ ms, "
    r"p95 [\d.]+ ms, p99 [\d.]+ ms, errors (\d+)$"
)
RATIO_LINE = re.compile(r"^ratio (http_\w+_vs_privacy) (\d+\.\d\d)$")
# The marker makes pytest-django create the test database the module fixture reads.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def bench_run(django_db_setup, django_db_blocker):
    """One small run for the module (it migrates, seeds and serves in child processes),
    inside a transaction rolled back afterwards, as the ``db`` fixture would."""
    out = StringIO()
    with django_db_blocker.unblock(), transaction.atomic():
        before = (Customer.objects.count(), AuditEntry.objects.count(), ledger_mark())
        call_command(
            "bench_http", customers=20, clients=4, requests=8, workers=1, rounds=2, stdout=out
        )
        after = (Customer.objects.count(), AuditEntry.objects.count(), ledger_mark())
        new_entries = entries_after(before[2]).count()
        transaction.set_rollback(True)
    return {
        "lines": out.getvalue().splitlines(),
        "before": before,
        "after": after,
        "new_entries": new_entries,
    }


def line_after(lines, prefix):
    return next(line for line in lines if line.startswith(prefix))[len(prefix) :].strip()


@pytest.mark.slow
def test_it_prints_one_line_per_page_without_errors(bench_run):
    pages = [PAGE_LINE.match(line) for line in bench_run["lines"] if line.startswith("page ")]

    assert all(pages)
    assert [m.group(1) for m in pages] == list(http_bench.PAGES)
    assert all(m.group(2) == "8" and m.group(3) == "0" for m in pages)
    assert "errors total 0" in bench_run["lines"]
    assert "warm-up: 4 untimed requests per page, errors 0" in bench_run["lines"]
    assert "server errors logged: nothing" in bench_run["lines"]
    assert line_after(bench_run["lines"], "load average before:")
    assert line_after(bench_run["lines"], "load average after:")


@pytest.mark.slow
def test_it_prints_the_ratios_against_privacy(bench_run):
    ratios = [RATIO_LINE.match(line) for line in bench_run["lines"] if line.startswith("ratio ")]
    named = {m.group(1): float(m.group(2)) for m in ratios if m}

    assert {"http_list_vs_privacy", "http_detail_vs_privacy"} <= set(named)
    assert all(value > 0 for value in named.values())
    assert any("mean time per request" in line for line in bench_run["lines"])


@pytest.mark.slow
def test_it_leaves_the_configured_database_alone(bench_run):
    assert bench_run["after"] == bench_run["before"]
    assert bench_run["new_entries"] == 0
    where = line_after(bench_run["lines"], "Throwaway database:").split()
    if connections["default"].vendor == "postgresql":
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [where[1]])
            assert cursor.fetchone() is None
    else:
        assert not os.path.exists(where[0])
    assert bench.BENCH_DB not in connections.settings
    assert not hasattr(connections._connections, bench.BENCH_DB)


@pytest.mark.slow
def test_it_stops_gunicorn(bench_run):
    base = re.search(r"on (http://127\.0\.0\.1:\d+);", line_after(bench_run["lines"], "gunicorn:"))

    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(base.group(1) + "/privacy/", timeout=5)


def test_it_builds_database_urls_for_the_children():
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": "/tmp/x/bench.sqlite3"}
    postgres = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shopguard_bench_1",
        "USER": "shop",
        "PASSWORD": "p@ss/word",
        "HOST": "127.0.0.1",
        "PORT": 5433,
    }

    assert http_bench.database_url(sqlite) == "sqlite:////tmp/x/bench.sqlite3"
    assert (
        http_bench.database_url(postgres)
        == "postgres://shop:p%40ss%2Fword@127.0.0.1:5433/shopguard_bench_1"
    )


def test_it_counts_bad_statuses_and_exceptions_as_errors():
    answers = iter([200, 302, 404, 500, "refused"])

    def do(client, i):
        answer = next(answers)
        if answer == "refused":
            raise ConnectionRefusedError("refused")
        return answer

    with ThreadPoolExecutor(1) as pool:
        result = http_bench.run_page("list", do, [SimpleNamespace(last="GET /x/")], 5, pool)

    assert result.requests == 5
    assert len(result.seconds) == 2
    assert result.errors[:2] == ["404 on GET /x/", "500 on GET /x/"]
    assert "ConnectionRefusedError" in result.errors[2]


def test_the_pages_take_turns_in_rounds(monkeypatch):
    """Each round runs a block of every page, so load that changes during the run falls
    on every page alike; the blocks add up to the requests asked for."""
    calls = []

    def run_page(page, do, clients, total, pool):
        calls.append((page, total))
        return http_bench.PageResult(page, seconds=[0.01] * total, wall=0.1)

    monkeypatch.setattr(http_bench, "run_page", run_page)
    plan = http_bench.Plan(
        customers=1, clients=2, requests=7, workers=1, max_seconds=1, timeout=1, rounds=3
    )
    results = http_bench.in_rounds({}, [], plan, None)

    pages = list(http_bench.PAGES)
    assert [page for page, _n in calls] == pages * 3
    assert [n for page, n in calls if page == "list"] == [3, 2, 2]
    assert all(r.requests == 7 and r.wall == pytest.approx(0.3) for r in results.values())


def test_it_exits_non_zero_when_a_request_failed(monkeypatch):
    failed = http_bench.PageResult("list", seconds=[0.1], errors=[500])
    monkeypatch.setattr(http_bench, "run", lambda plan, out: ({"list": failed}, []))

    with pytest.raises(CommandError, match="1 request"):
        call_command("bench_http", stdout=StringIO())
