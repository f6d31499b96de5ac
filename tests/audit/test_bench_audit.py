"""bench_audit prints its figures, leaves the configured ledger as it found it, and drops
its throwaway ledgers."""

import glob
import os
import tempfile
from io import StringIO

import pytest
from django.core.management import call_command

from audit.models import AuditEntry
from devtools.ledger_bench import size_label
from tests.audit.conftest import appearance_rows

FIGURES = [
    "record_busy_vs_fresh",
    "ledger_list_300_vs_100",
    "ledger_deep_page_300_vs_100",
    "ledger_person_300_vs_100",
    "ledger_action_300_vs_100",
    "dashboard_300_vs_100",
    "who_looked_300_vs_100",
    "record_300_vs_100",
]


@pytest.mark.slow
@pytest.mark.django_db
def test_it_prints_every_ratio_and_rolls_everything_back(people):
    before = (AuditEntry.objects.count(), len(appearance_rows()))
    scratch = set(glob.glob(os.path.join(tempfile.gettempdir(), "shopguard-ledger-*")))
    out = StringIO()
    call_command(
        "bench_audit",
        entries=300,
        small=100,
        records=5,
        busy_links=500,
        rounds=1,
        list_views=5,
        stdout=out,
    )
    lines = out.getvalue().splitlines()
    ratios = [line.split() for line in lines if line.startswith("ratio ")]
    assert [name for _, name, _value in ratios] == FIGURES
    assert all(float(value) > 0 for _, _name, value in ratios)
    figures = dict(line.split(" ", 1) for line in lines)
    assert float(figures["ledger_mb_per_1000_list_views"]) > 0
    assert float(figures["verify_audit_entries_per_second"]) > 0
    assert any(line.startswith("verified ") and line.endswith("intact: True") for line in lines)
    assert any(line.startswith("load average before: ") for line in lines)
    assert (AuditEntry.objects.count(), len(appearance_rows())) == before
    after = set(glob.glob(os.path.join(tempfile.gettempdir(), "shopguard-ledger-*")))
    assert after <= scratch  # the throwaway ledgers are gone


def test_sizes_are_named_as_the_issue_names_them():
    assert [size_label(n) for n in (1_000_000, 10_000, 300_000, 2500)] == [
        "1m",
        "10k",
        "300k",
        "2500",
    ]
