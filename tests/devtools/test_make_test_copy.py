"""make_test_copy: a copy with the same shape and no real person's data, under keys of
its own; the original is only read."""

import io
import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from customers.models import Category, Customer, PreviousContact, Purchase
from shipping import labels, services
from shipping.models import Shipment
from tests.customers.vault import make_customer, make_purchase
from tests.upkeep.conftest import ROOT, empty_database  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

REAL_EMAIL, REAL_PRODUCT = "hanako.real@example.org", "育毛剤 本物"
REAL_GIFT = labels.Recipient("贈答 本物子", "150-0001", "東京都渋谷区神宮前9-9-9", "090-9999-0001")
REAL_TRACKING = "4455-6677-8899"

PROBE = """
import json
from customers.models import Customer, Purchase
from audit.models import AuditEntry
from upkeep.models import DatabaseRole
from django.contrib.auth import get_user_model
from shipping.models import Shipment
from customers.models import PreviousContact
from vault.reads import bulk_read
with bulk_read("restore_check"):
    found = {
        "previous_contacts": PreviousContact.objects.count(),
        "emails": sorted(c.email for c in Customer.objects.all()),
        "names": sorted(c.name for c in Customer.objects.all()),
        "products": sorted(p.product_name for p in Purchase.objects.all()),
        "amounts": sorted(p.amount for p in Purchase.objects.all()),
        "ledger": AuditEntry.objects.count(),
        "role": DatabaseRole.objects.get().kind,
        "people": sorted(u.username for u in get_user_model().objects.all()),
        "shipments": sorted(
            [s.recipient_name, s.recipient_postal_code, s.recipient_address,
             s.recipient_phone, s.tracking_number, s.state]
            for s in Shipment.objects.all()
        ),
    }
print(json.dumps(found))
"""


@pytest.fixture
def shop(db, people):
    Category.objects.get_or_create(
        code="hair-growth", defaults={"name_ja": "育毛", "name_en": "Hair"}
    )
    customer = make_customer(email=REAL_EMAIL)
    make_purchase(customer, category="hair-growth", product=REAL_PRODUCT, amount=4800)
    taro = make_customer(email="taro.real@example.org")
    gift = services.add_shipment(None, customer, recipient=REAL_GIFT)
    Shipment.objects.filter(pk=gift.pk).update(state="shipped", tracking_number=REAL_TRACKING)
    services.add_shipment(None, taro)  # to the address on file: no recipient of its own
    # An e-mail changed at the shop keeps the previous (real) one for a while.
    PreviousContact.objects.create(
        customer=customer,
        field="email",
        value="hanako.before@example.org",
        changed_at=timezone.now(),
    )
    return customer


def probe(env_file):
    env = {"SHOPGUARD_ENV_FILE": str(env_file), "PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_copy_has_the_same_shape_and_nothing_real(shop, tmp_path, empty_database):  # noqa: F811
    env_file = tmp_path / "copy.env"
    out = io.StringIO()
    call_command(
        "make_test_copy", "--database-url", empty_database, "--env-file", str(env_file), stdout=out
    )
    assert "2 customers and 1 purchases rewritten with fake data" in out.getvalue()
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"
    found = probe(env_file)
    assert len(found["emails"]) == Customer.objects.count() == 2
    assert REAL_EMAIL not in found["emails"] and "taro.real@example.org" not in found["emails"]
    assert all(
        e.rsplit("@", 1)[1] in {"example.com", "example.jp", "example.net", "shop.test"}
        for e in found["emails"]
    )
    assert found["amounts"] == [4800] and REAL_PRODUCT not in found["products"]
    assert found["role"] == "test_copy"
    assert found["previous_contacts"] == 0
    assert found["ledger"] == 1  # cut, then the copy's own first entry
    assert all(name.startswith("person-") for name in found["people"])
    # Shipments: the same two, a fake gift recipient and tracking number of the same shape.
    assert "2 shipments rewritten with fake recipients" in out.getvalue()
    (gift, on_file) = sorted(found["shipments"], key=lambda row: row[5])
    assert on_file == ["", "", "", "", "", "unshipped"]
    name, postal, address, phone, tracking, state = gift
    assert state == "shipped" and name and address and phone
    assert name != REAL_GIFT.name and address != REAL_GIFT.address and phone != REAL_GIFT.phone
    assert postal.startswith("000-")  # the fake data's own postal codes
    assert tracking != REAL_TRACKING and len(tracking) == len(REAL_TRACKING)
    assert tracking.count("-") == 2 and tracking.replace("-", "").isdigit()
    # The copy's keys are its own: none of the original's.
    text = env_file.read_text()
    from django.conf import settings

    for key in settings.FIELD_ENCRYPTION_KEYS:
        assert key not in text
    # The original is untouched.
    assert Customer.objects.filter(pk=shop.pk).exists() and Purchase.objects.count() == 1


def test_it_refuses_an_existing_env_file(shop, tmp_path, empty_database):  # noqa: F811
    env_file = tmp_path / "copy.env"
    env_file.write_text("")
    with pytest.raises(CommandError, match="exists already"):
        call_command(
            "make_test_copy", "--database-url", empty_database, "--env-file", str(env_file)
        )
