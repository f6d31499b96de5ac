import io
import re

import pytest
from django.core.management import CommandError, call_command

from audit.actions import Action
from audit.models import AuditEntry
from customers.models import Category, Customer
from tests.customers.vault import make_customer

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_prints_the_backup_ratio_retentions_batches_and_the_load(settings, tmp_path):
    # A transactional test before this one may have flushed the migrations' categories.
    Category.objects.get_or_create(code="food", defaults={"name_ja": "食品", "name_en": "Food"})
    settings.BACKUP_RECIPIENT = ""  # it makes a throwaway key of its own
    settings.BACKUP_DIR = str(tmp_path)
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.txt")
    out = io.StringIO()
    call_command("bench_upkeep", "--customers", "30", "--entries", "300", stdout=out)
    said = out.getvalue()
    assert re.search(r"^ratio backup_vs_native_dump \d+\.\d+$", said, re.M)
    assert re.search(r"^backup_memory_growth_mb -?\d+\.\d+$", said, re.M)
    assert re.search(r"^backup ratios by round( \d+\.\d+){3}$", said, re.M)
    assert re.search(r"^backup_child_peak_mb \d+\.\d+$", said, re.M)
    for figure in ("total", "median_batch", "p99_batch", "max_batch"):
        assert re.search(rf"^retention_{figure}_seconds \d+\.\d+$", said, re.M)
    assert re.search(r"^retention_batches \d+$", said, re.M)
    assert re.search(r"^load_average [\d.]+ [\d.]+ [\d.]+$", said, re.M)
    assert Customer.objects.filter(anonymised_at__isnull=False).count() == 9
    assert AuditEntry.objects.filter(action=Action.BACKUP_MADE).count() == 3  # three rounds


def test_it_refuses_a_database_with_real_customers():
    make_customer()
    with pytest.raises(CommandError, match="throwaway database"):
        call_command("bench_upkeep", "--customers", "1", "--entries", "1")
