"""bench_audit prints its figures and leaves the ledger as it found it."""

from io import StringIO

import pytest
from django.core.management import call_command

from audit.models import AuditEntry, AuditEntryCustomer


@pytest.mark.django_db
def test_it_prints_the_busy_vs_fresh_ratio_and_rolls_everything_back(people):
    before = (AuditEntry.objects.count(), AuditEntryCustomer.objects.count())
    out = StringIO()
    call_command("bench_audit", entries=50, records=5, busy_links=500, stdout=out)
    ratios = [line.split() for line in out.getvalue().splitlines() if line.startswith("ratio ")]
    assert [name for _, name, _value in ratios] == ["record_busy_vs_fresh"]
    assert float(ratios[0][2]) > 0
    assert (AuditEntry.objects.count(), AuditEntryCustomer.objects.count()) == before
