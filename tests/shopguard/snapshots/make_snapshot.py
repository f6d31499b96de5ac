"""Make a snapshot of a database as ShopGuard's main left it at commit 447cd7b (the last
main before the layout of issue #21), on SQLite or PostgreSQL, as an SQL script.

Two kinds: ``main`` is that commit's database, fully migrated and filled through its own
code; ``older`` is the older main that commit's own migration test rebuilt (migrations
stopped at shopguard 0002, customers 0009, audit 0002, policy 0003), filled as that test
filled it.

Run it in a checkout of that commit, prepared by its own ``make run`` (its .venv):

    git worktree add /tmp/old 447cd7b && cd /tmp/old && make .venv/bin/.installed
    DATABASE_URL=sqlite:////tmp/old.sqlite3 .venv/bin/python \\
        <this checkout>/tests/shopguard/snapshots/make_snapshot.py main sqlite OUT.sql
    DATABASE_URL=postgres://postgres@127.0.0.1:PORT/old .venv/bin/python \\
        <this checkout>/tests/shopguard/snapshots/make_snapshot.py main postgresql OUT.sql

(and the same with ``older``, each into an empty database).

Every value in it is fake and every key below is a throwaway made for this snapshot
only (tests/shopguard/test_migration_from_old_main.py opens it with them). The data goes
in through that commit's own code: its migrations, models, services and admin pages.
"""

import os
import subprocess
import sys
from pathlib import Path

KEYS = {
    "SECRET_KEY": "snapshot-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG",
    "FIELD_ENCRYPTION_KEYS": "k20261101:3q2-7wAB1C2D3E4F5G6H7I8J9K0L1M2N3O4P5Q6R7S8=",
    "BLIND_INDEX_KEY": "Qk1OUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXI=",
    "AUDIT_CHAIN_KEY": "YXVkaXQtY2hhaW4ta2V5LWZvci10aGUtc25hcHNob3Q=",
}
os.environ.update(KEYS)
os.environ.update(SHOPGUARD_HTTPS="0", DEBUG="0", SHOPGUARD_REQUIRE_2FA="0")
os.environ.update(ALLOWED_HOSTS="testserver", SHOPGUARD_ENV_FILE=os.devnull)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopguard.settings")
sys.path.insert(0, os.getcwd())

import django  # noqa: E402

django.setup()

import datetime  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

PASSWORD = "snapshot password 2026"
CUSTOMERS = [
    {
        "name": f"見本 太郎{n}",
        "name_kana": f"ミホン タロウ{n}",
        "gender": "male",
        "postal_code": "160-0023",
        "address": f"東京都新宿区西新宿2-8-{n} 見本ビル",
        "phone": f"090-0000-000{n}",
        "email": f"taro{n}@example.com",
        "card_token": f"tok_snapshot{n}",
        "card_brand": "VISA",
        "card_last4": "4242",
        "card_exp": "12/28",
    }
    for n in range(1, 4)
]


def fill():
    from django.contrib.auth import get_user_model
    from shopguard.roles import set_role

    from customers.models import Category, Customer, ExportRequest, Purchase
    from policy.models import DataRequest, DisclosureLink, PolicyVersion
    from policy.services import record_consent, record_provision
    from shopguard import limits

    User = get_user_model()
    people = {}
    for name, role in (("owner1", "owner"), ("manager1", "manager"), ("staff1", "staff")):
        people[name] = User.objects.create_user(username=name, password=PASSWORD)
        set_role(people[name], role)
    customers = [Customer.objects.create(**values) for values in CUSTOMERS]
    Purchase.objects.create(
        customer=customers[0],
        category=Category.objects.get(code="medicine"),
        product_name="育毛剤 見本",
        amount=4800,
        purchased_on=datetime.date(2026, 11, 1),
    )
    version = PolicyVersion.objects.get(number=1)
    record_consent(customers[0], version, "shop", actor=people["owner1"])
    record_provision(
        recipient_name="見本運輸株式会社",
        recipient_address="東京都千代田区見本1-1",
        recipient_representative="見本 一郎",
        provided_on=datetime.date(2026, 11, 2),
        customers=[customers[1]],
        data_items=["name", "address"],
        basis="consent",
        actor=people["owner1"],
    )
    data_request = DataRequest(
        kind="disclose",
        name="見本 太郎1",
        email="taro1@example.com",
        phone="090-0000-0001",
        details="保有個人データの開示をお願いします。",
        note="本人確認済み",
        refusal_reason="",
        customer=customers[0],
        step="done",
    )
    data_request.save()
    DisclosureLink.issue(data_request)
    ExportRequest.objects.create(
        requested_by=people["manager1"],
        purpose="お礼状の発送",
        recipient="internal",
        fields=["name", "address"],
        scope="selected",
        customer_ids=[str(c.pk) for c in customers[:2]],
        customer_count=2,
    )
    with transaction.atomic():
        limits.STAFF_REVEALS.take(people["staff1"].pk)

    setup_test_environment()
    owner, staff = Client(), Client()
    owner.post("/admin/login/", {"username": "owner1", "password": PASSWORD})
    staff.post("/admin/login/", {"username": "staff1", "password": PASSWORD})
    # A failed sign-in: django-axes and the ledger both record it.
    Client().post("/admin/login/", {"username": "staff1", "password": "wrong"})
    owner.get("/admin/customers/customer/")
    staff.get(f"/admin/customers/customer/{customers[0].pk}/")
    # An edit through the admin: the change record and the ledger entries it writes.
    page = f"/admin/customers/customer/{customers[2].pk}/change/"
    staff.post(page, {"address": "東京都新宿区西新宿9-9-9 見本ビル"})
    assert Customer.objects.count() == 3


def dump(vendor, out):
    if vendor == "sqlite":
        text = "\n".join(connection.connection.iterdump())
    else:
        settings = connection.settings_dict
        text = subprocess.run(
            [
                "pg_dump",
                "--no-owner",
                "--no-privileges",
                "--inserts",
                "-h",
                settings["HOST"],
                "-p",
                str(settings["PORT"]),
                "-U",
                settings["USER"],
                settings["NAME"],
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        # psql's own commands (pg_dump 15.14 and later add \restrict): not SQL.
        text = "\n".join(line for line in text.splitlines() if not line.startswith("\\"))
    Path(out).write_text(text + "\n", encoding="utf-8")


def fill_older():
    """The older main, as commit 447cd7b's tests/shopguard/test_migration_from_old_main.py
    made it (its helpers are imported from that checkout)."""
    from audit import alerts, ledger
    from tests.shopguard import test_migration_from_old_main as old_test

    old = old_test.migrate(old_test.old_main_targets())
    real_insert, real_window = ledger._insert, alerts._distinct_customers_in_window
    ledger._insert = old_test.old_main_insert
    alerts._distinct_customers_in_window = lambda entry: 0
    try:
        old_test.fill_old_database(old)
    finally:
        ledger._insert, alerts._distinct_customers_in_window = real_insert, real_window


if __name__ == "__main__":
    kind, vendor, out = sys.argv[1:4]
    if kind == "main":
        call_command("migrate", verbosity=0)
        fill()
    else:
        fill_older()
    connection.ensure_connection()
    dump(vendor, out)
