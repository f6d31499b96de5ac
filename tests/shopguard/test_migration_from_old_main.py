"""Databases made by earlier mains migrate forward with nothing lost.

Each case starts from a snapshot in ``snapshots/`` (an SQL script per database, made by
``snapshots/make_snapshot.py`` in a checkout of the old code, with throwaway keys):

* ``main-447cd7b``: the last main before the layout of issue #21, fully migrated and
  filled through its own code. Since then the project package lost its migrations (the
  role groups and TrackedSession went to accounts, LimitCounter to vault, format
  version 2 to customers 0013), ExportRequest became the exports app's model and
  customers' own requests their own app, whose sealed values are bound to the new name.
* ``older``: the older main that commit's migration test rebuilt (TrackedSession still in
  the shopguard app, customers 0009, audit 0002, policy 0003), filled as it filled it.

The test replaces the test database with the snapshot, runs ``migrate`` as an operator
would, and checks every value, the moved rows and tables, the permissions and the chain;
then it puts the usual empty test database back.
"""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection

from accounts.models import TrackedSession
from audit.actions import Action
from audit.ledger import record
from audit.management.commands.verify_audit import verify_ledger
from audit.models import AuditEntry
from customers.models import PERSONAL_FIELDS, Customer, Purchase
from datarequests.models import DataRequest, DisclosureLink
from exports.models import ExportRequest
from policy.content import content_hash
from policy.models import PolicyVersion
from vault import encryption
from vault.encryption import encrypted_fields
from vault.keys import decode_key, parse_field_keys
from vault.models import LimitCounter

# A migration round trip: seconds each.
pytestmark = pytest.mark.slow

SNAPSHOTS = Path(__file__).parent / "snapshots"
# The snapshots' throwaway keys (snapshots/make_snapshot.py): they open nothing else.
KEYS = {
    "FIELD_ENCRYPTION_KEYS": "k20261101:3q2-7wAB1C2D3E4F5G6H7I8J9K0L1M2N3O4P5Q6R7S8=",
    "BLIND_INDEX_KEY": "Qk1OUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXI=",
    "AUDIT_CHAIN_KEY": "YXVkaXQtY2hhaW4ta2V5LWZvci10aGUtc25hcHNob3Q=",
}
# Tables of the old layout: none may be left once the database has migrated.
OLD_TABLES = {
    "shopguard_limitcounter",
    "shopguard_trackedsession",
    "customers_exportrequest",
    "policy_datarequest",
    "policy_disclosurelink",
}
MAIN_CUSTOMERS = [
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
# The third customer's address was changed through the old admin before the snapshot.
MAIN_CUSTOMERS[2]["address"] = "東京都新宿区西新宿9-9-9 見本ビル"
MAIN_REQUEST = {
    "name": "見本 太郎1",
    "email": "taro1@example.com",
    "phone": "090-0000-0001",
    "details": "保有個人データの開示をお願いします。",
    "note": "本人確認済み",
    "refusal_reason": "",
}
OLDER_REQUEST = {
    "name": "請求 次郎",
    "email": "jiro@example.jp",
    "phone": "080-2222-3333",
    "details": "保有個人データの開示をお願いします。",
    "note": "本人確認済み",
    # Added later with the schema's empty default (no ciphertext): it reads as empty.
    "refusal_reason": "",
}
HANAKO = {
    "name": "山田 花子",
    "name_kana": "ヤマダ ハナコ",
    "gender": "female",
    "postal_code": "160-0023",
    "address": "東京都新宿区西新宿2-8-1 テストマンション101",
    "phone": "090-1234-5678",
    "card_token": "tok_1a2b3c4d5e6f",
    "card_brand": "VISA",
    "card_last4": "4242",
    "card_exp": "12/28",
}


@pytest.fixture
def snapshot_keys(settings):
    settings.FIELD_ENCRYPTION_KEYS = parse_field_keys(KEYS["FIELD_ENCRYPTION_KEYS"])
    settings.BLIND_INDEX_KEY = decode_key("BLIND_INDEX_KEY", KEYS["BLIND_INDEX_KEY"])
    settings.AUDIT_CHAIN_KEY = decode_key("AUDIT_CHAIN_KEY", KEYS["AUDIT_CHAIN_KEY"])


def wipe_database():
    """Drop every table (and with them their triggers) of the test database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            return
        cursor.execute("PRAGMA foreign_keys = OFF")
        for table in connection.introspection.table_names():
            if table != "sqlite_sequence":
                cursor.execute(f'DROP TABLE "{table}"')
        cursor.execute("PRAGMA foreign_keys = ON")


def load_snapshot(name):
    """Replace the test database by snapshot ``name`` as that old code left it."""
    script = (SNAPSHOTS / f"{name}.{connection.vendor}.sql").read_text(encoding="utf-8")
    wipe_database()
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(script)
    else:
        # The dump lists tables by name: a row may come before the table it refers to.
        connection.connection.execute("PRAGMA foreign_keys = OFF")
        connection.connection.executescript(script)
        connection.connection.execute("PRAGMA foreign_keys = ON")
    # pg_dump's script empties the search path: a new connection starts afresh. Content
    # types cached by id belong to the database before.
    connection.close()
    ContentType.objects.clear_cache()


def migrate():
    call_command("migrate", verbosity=0)


@pytest.fixture
def old_database(snapshot_keys, test_reads):
    """Loads the named snapshot; afterwards the usual empty test database is back."""
    try:
        yield load_snapshot
    finally:
        wipe_database()
        connection.close()
        ContentType.objects.clear_cache()
        migrate()


def ledger_kept(head, entries):
    """The old entries are all there; new ones (the roles' permissions, synchronised after
    migrate) only follow them."""
    assert AuditEntry.objects.filter(seq__lte=head).count() == entries


def ledger_is_intact_and_grows():
    entries = AuditEntry.objects.count()
    assert verify_ledger().intact
    record(Action.CUSTOMER_VIEW, actor=get_user_model().objects.first())
    verdict = verify_ledger()
    assert verdict.intact and verdict.count == entries + 1


def assert_every_value_is_current_format():
    for model in (Customer, Purchase, DataRequest):
        for field in encrypted_fields(model):
            tokens = model.objects.values_list(field.attname, flat=True)
            assert {bytes(t)[0] for t in tokens if t is not None} == {encryption.VERSION}


def assert_old_tables_gone():
    assert not OLD_TABLES & set(connection.introspection.table_names())


@pytest.mark.django_db(transaction=True)
def test_the_last_main_before_the_new_layout_migrates_forward_with_nothing_lost(old_database):
    old_database("main-447cd7b")
    entries, head = AuditEntry.objects.count(), AuditEntry.objects.order_by("seq").last().seq

    migrate()

    customers = list(Customer.objects.all())
    by_email = {c.email: c for c in customers}
    for values in MAIN_CUSTOMERS:
        customer = by_email[values["email"]]
        assert {n: getattr(customer, n) for n in PERSONAL_FIELDS} == values
    assert Purchase.objects.get().product_name == "育毛剤 見本"
    data_request = DataRequest.objects.get()
    assert {key: getattr(data_request, key) for key in MAIN_REQUEST} == MAIN_REQUEST
    assert data_request.customer == by_email["taro1@example.com"]
    assert DisclosureLink.objects.get().data_request == data_request
    export = ExportRequest.objects.get()
    assert export.fields == ["name", "address"] and export.customer_count == 2
    assert_every_value_is_current_format()

    # The moved models' content types, with the permissions the roles hold.
    assert ContentType.objects.get_for_model(ExportRequest).app_label == "exports"
    assert ContentType.objects.get_for_model(DataRequest).app_label == "datarequests"
    assert not ContentType.objects.filter(model__in=["exportrequest", "datarequest"]).exclude(
        app_label__in=["exports", "datarequests"]
    )
    owner = set(Group.objects.get(name="owner").permissions.values_list("codename", flat=True))
    assert {"approve_exportrequest", "view_datarequest", "change_datarequest"} <= owner
    # Rows of the tables that were renamed or moved.
    staff = get_user_model().objects.get(username="staff1")
    assert LimitCounter.objects.filter(limit="staff_reveals", key=str(staff.pk)).exists()
    assert TrackedSession.objects.count() == 2
    assert_old_tables_gone()

    ledger_kept(head, entries)
    ledger_is_intact_and_grows()


@pytest.mark.django_db(transaction=True)
def test_an_older_main_migrates_forward_with_nothing_lost(old_database):
    old_database("older")
    entries, head = AuditEntry.objects.count(), AuditEntry.objects.order_by("seq").last().seq

    migrate()

    customers = Customer.objects.all()
    assert sorted(c.email for c in customers) == [f"c{n}@example.jp" for n in range(3)]
    for customer in customers:
        assert {n: getattr(customer, n) for n in HANAKO} == HANAKO
    assert Purchase.objects.get().product_name == "育毛剤プレミアム"
    data_request = DataRequest.objects.get(reference="R-OLD-0001")
    assert {key: getattr(data_request, key) for key in OLDER_REQUEST} == OLDER_REQUEST
    assert_every_value_is_current_format()
    assert ExportRequest.objects.get().fields == ["name", "email"]
    version = PolicyVersion.objects.get(number=90)
    assert version.content_hash == content_hash(version.articles)
    session = TrackedSession.objects.get(session_key="s" * 32)
    assert session.user.username == "old-owner"
    assert Group.objects.filter(name__in=["owner", "manager", "staff", "auditor"]).count() == 4
    assert_old_tables_gone()

    ledger_kept(head, entries)
    ledger_is_intact_and_grows()
