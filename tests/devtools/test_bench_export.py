import csv
import io
import os
import re
from io import StringIO

import pytest
import pyzipper
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections, transaction

from customers.fields import label
from customers.models import Customer
from devtools import bench
from exports.models import ExportRequest
from exports.services import EXPORTABLE_FIELDS
from tests.factories import entries_after, ledger_mark

# The module's own bench_run needs the test database set up even when this file runs alone.
pytestmark = pytest.mark.django_db
CUSTOMERS = 300
MARKER_EMAIL = "configured.database@example.com"
FIGURES = [
    "export_peak_mb",
    "export_growth_mb",
    "export_python_peak_mb",
    "export_peak_mb_2x",
    "export_growth_mb_2x",
    "export_python_peak_mb_2x",
]
MEMORY_LINE = re.compile(r"^memory (\w+) (\d+\.\d)$")


@pytest.fixture(scope="module")
def bench_run(django_db_setup, django_db_blocker, tmp_path_factory):
    """One run of the command for the module (it starts two Django processes).

    It runs in a transaction rolled back afterwards, as the ``db`` fixture would, with a
    customer of its own in the configured database.
    """
    archive = tmp_path_factory.mktemp("export") / "kept.zip"
    out = StringIO()
    with django_db_blocker.unblock(), transaction.atomic():
        Customer.objects.create(name="山田 花子", email=MARKER_EMAIL)
        before = (Customer.objects.count(), ExportRequest.objects.count(), ledger_mark())
        call_command("bench_export", customers=CUSTOMERS, keep_archive=str(archive), stdout=out)
        after = (Customer.objects.count(), ExportRequest.objects.count(), ledger_mark())
        new_entries = entries_after(before[2]).count()
        transaction.set_rollback(True)
    return {
        "lines": out.getvalue().splitlines(),
        "archive": archive,
        "before": before,
        "after": after,
        "new_entries": new_entries,
    }


def value_after(lines, prefix):
    return next(line for line in lines if line.startswith(prefix))[len(prefix) :].strip()


@pytest.mark.slow
def test_it_prints_one_memory_line_per_figure(bench_run):
    matches = [MEMORY_LINE.match(line) for line in bench_run["lines"] if line.startswith("memory ")]
    assert all(matches)
    assert [m.group(1) for m in matches] == FIGURES
    assert all(float(m.group(2)) > 0 for m in matches if "growth" not in m.group(1))
    assert int(value_after(bench_run["lines"], "speed export_rows_per_s ")) > 0
    assert float(value_after(bench_run["lines"], "size export_archive_mb ")) >= 0


@pytest.mark.slow
def test_it_checks_both_archives_against_the_database(bench_run):
    checks = [line for line in bench_run["lines"] if line.startswith("Archive check")]
    assert len(checks) == 2
    assert f"holds each of the {CUSTOMERS} customers once" in checks[0]
    assert f"holds each of the {2 * CUSTOMERS} customers once" in checks[1]


@pytest.mark.slow
def test_it_leaves_the_configured_database_alone(bench_run):
    assert bench_run["after"] == bench_run["before"]
    assert bench_run["new_entries"] == 0
    path = value_after(bench_run["lines"], "Throwaway database:").split()[0]
    assert not os.path.exists(path)
    assert bench.BENCH_DB not in connections.settings
    assert not hasattr(connections._connections, bench.BENCH_DB)


@pytest.mark.slow
def test_the_measured_archive_is_a_real_encrypted_export(bench_run):
    password = value_after(bench_run["lines"], "Its password (fake customers only):")

    with pyzipper.AESZipFile(bench_run["archive"]) as archive:
        info = archive.getinfo("customers.csv")
        with pytest.raises(RuntimeError):
            archive.read("customers.csv")  # no password, no data
        archive.setpassword(password.encode())
        rows = list(csv.reader(io.StringIO(archive.read("customers.csv").decode("utf-8-sig"))))

    assert info.flag_bits & 0x1 and info.wz_aes_strength == 3  # WinZip AES, 256-bit key
    assert rows[0] == ["番号", *(str(label(f)) for f in EXPORTABLE_FIELDS)]
    assert len(rows) == CUSTOMERS + 1
    assert len({row[0] for row in rows[1:]}) == CUSTOMERS
    emails = [row[EXPORTABLE_FIELDS.index("email") + 1] for row in rows[1:]]
    assert all(re.search(r"@(example\.(com|jp|net)|shop\.test)$", email) for email in emails)
    assert MARKER_EMAIL not in emails  # read from the throwaway database, not the configured one


def test_it_refuses_a_count_below_one():
    with pytest.raises(CommandError):
        call_command("bench_export", customers=0)


@pytest.mark.slow
def test_it_prints_the_export_to_read_ratio_of_the_same_run(bench_run):
    ratios = [line for line in bench_run["lines"] if line.startswith("ratio export_vs_read")]
    assert len(ratios) == 2 and all(
        re.match(r"^ratio export_vs_read(_2x)? \d+\.\d\d$", r) for r in ratios
    )
    assert any(line.startswith("speed read_rows_per_s ") for line in bench_run["lines"])
