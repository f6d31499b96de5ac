"""``bench_labels`` prints the label file's ratio to the read and its memory (issue #23)."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from shipping.models import Shipment


@pytest.mark.django_db
def test_it_prints_the_ratio_and_flat_memory_and_leaves_the_database_alone():
    out = StringIO()
    call_command("bench_labels", "--shipments", "30", stdout=out)
    text = out.getvalue()
    assert re.search(r"^ratio labels_vs_read \d+\.\d\d$", text, re.M)
    assert re.search(r"^ratio labels_vs_read_cpu \d+\.\d\d$", text, re.M)
    assert re.search(r"^load_average \d+\.\d\d \d+\.\d\d \d+\.\d\d$", text, re.M)
    assert re.search(r"^memory labels_peak_30 \d+ KiB$", text, re.M)
    assert re.search(r"^memory labels_peak_60 \d+ KiB$", text, re.M)
    assert not Shipment.objects.exists()
