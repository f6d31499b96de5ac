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

Since django-auditlog left (audit 0011), the change log's records are in the ledger's
history: every one of them has its model.* ledger entry, which stays as it was, and the
change log's table is gone, unless a record had no entry (then the table stays). Since
django-axes left (accounts 0003), its tables are gone: every sign-in and failed sign-in
it kept is in the ledger.
"""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

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
# django-auditlog's change log (its records are in the ledger) and its own empty table.
CHANGE_LOG = "audit_changelogentry"
AUDITLOG_TABLES = {CHANGE_LOG, "auditlog_logentry"}
# django-axes' records of sign-ins and failures (the ledger has them all).
AXES_TABLES = {
    "axes_accessattempt",
    "axes_accessattemptexpiration",
    "axes_accesslog",
    "axes_accessfailurelog",
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


def old_customer_links():
    """The old customer index: (customer id, entry id) of every link (audit before 0022)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT customer_id, entry_id FROM audit_auditentrycustomer")
        return sorted(cursor.fetchall())


def assert_every_link_carried(links):
    """Audit 0022 carried every link into the compact form: who looked finds each, and
    SQLite's appearance rows are exactly the old links."""
    from tests.audit.conftest import appearance_rows, named_entries

    assert links  # the snapshots hold some
    assert "audit_auditentrycustomer" not in connection.introspection.table_names()
    for customer, entry in links:
        assert entry in named_entries(customer), (customer, entry)
    if connection.vendor == "sqlite":
        old = {entry for _customer, entry in links}
        carried = [(c, e) for e, c in appearance_rows() if e in old]
        assert sorted(carried) == links


def ledger_is_intact_and_grows():
    entries = AuditEntry.objects.count()
    assert verify_ledger().intact
    record(Action.CUSTOMER_VIEW, actor=get_user_model().objects.first())
    verdict = verify_ledger()
    assert verdict.intact and verdict.count == entries + 1


def assert_daily_counts_match_the_ledger():
    """The home page's daily counts (audit 0012 fills them from the old entries; record
    keeps them) say exactly what the entries say, day by Japan-time day."""
    from collections import Counter

    from django.utils import timezone

    from audit.models import AuditDay

    entries = Counter(
        (timezone.localtime(when).date(), action, outcome, username)
        for when, action, outcome, username in AuditEntry.objects.values_list(
            "created_at", "action", "outcome", "actor_username"
        )
    )
    days = {
        (d.day, d.action, d.outcome, d.actor_username): d.entries for d in AuditDay.objects.all()
    }
    assert entries and days == dict(entries)


def assert_every_value_is_current_format():
    for model in (Customer, Purchase, DataRequest):
        for field in encrypted_fields(model):
            tokens = model.objects.values_list(field.attname, flat=True)
            assert {bytes(t)[0] for t in tokens if t is not None} == {encryption.VERSION}


def assert_old_tables_gone():
    assert not OLD_TABLES & set(connection.introspection.table_names())


def change_records():
    """(model, row) of every record in the old change log, read with SQL (no model)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.model, c.object_pk FROM {CHANGE_LOG} c "  # noqa: S608
            "JOIN django_content_type t ON t.id = c.content_type_id ORDER BY c.id"
        )
        return cursor.fetchall()


def model_entries():
    """The ledger's model.* entries, as they are stored (chain value included)."""
    entries = AuditEntry.objects.filter(action__startswith="model.").order_by("seq")
    return list(entries.values_list("seq", "action", "target_type", "target_id", "chain"))


def assert_every_record_has_its_ledger_entry(records, entries):
    """Each change record names a row whose model.* entry the ledger holds (the entry
    names the model with the app it had then: ExportRequest was customers')."""
    targets = {(kind.rpartition(".")[2], row) for _seq, _action, kind, row, _chain in entries}
    assert records and all((model, row) in targets for model, row in records)


def assert_change_log_gone():
    assert not AUDITLOG_TABLES & set(connection.introspection.table_names())


def axes_records():
    """What django-axes kept: (name, failures) of its attempts, and the names of its
    access log (sign-ins), read with SQL."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT username, failures_since_start FROM axes_accessattempt")
        attempts = cursor.fetchall()
        cursor.execute("SELECT username FROM axes_accesslog")
        return attempts, [name for (name,) in cursor.fetchall()]


def assert_the_ledger_has_every_sign_in_axes_kept(attempts, sign_ins):
    for name, failures in attempts:
        failed = AuditEntry.objects.filter(action="auth.sign_in_failed", actor_username=name)
        assert failed.count() >= failures
    for name in sign_ins:
        assert AuditEntry.objects.filter(action="auth.sign_in", actor_username=name).exists()


def assert_axes_gone():
    assert not AXES_TABLES & set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations WHERE app = 'axes'")
        assert cursor.fetchone() == (0,)


@pytest.mark.django_db(transaction=True)
def test_the_last_main_before_the_new_layout_migrates_forward_with_nothing_lost(old_database):
    old_database("main-447cd7b")
    entries, head = AuditEntry.objects.count(), AuditEntry.objects.order_by("seq").last().seq
    records, recorded = change_records(), model_entries()
    attempts, sign_ins = axes_records()
    assert attempts and sign_ins  # a failed sign-in and two sign-ins (make_snapshot.py)
    links = old_customer_links()

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
    # The change log moved into the ledger's history: every record had its entry there,
    # and those entries are exactly as they were.
    assert_every_record_has_its_ledger_entry(records, recorded)
    assert [entry for entry in model_entries() if entry[0] <= head] == recorded
    assert_change_log_gone()
    # django-axes' tables went: what they kept is in the ledger.
    assert_the_ledger_has_every_sign_in_axes_kept(attempts, sign_ins)
    assert_axes_gone()

    ledger_kept(head, entries)
    assert_every_link_carried(links)
    ledger_is_intact_and_grows()
    assert_daily_counts_match_the_ledger()


@pytest.mark.django_db(transaction=True)
def test_a_change_record_without_its_ledger_entry_keeps_the_change_log(old_database, capsys):
    old_database("main-447cd7b")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CHANGE_LOG} (object_pk, object_repr, action, changes_text, changes, "  # noqa: S608
            "timestamp, content_type_id) SELECT 'no-such-row', 'no-such-row', 1, '', "
            """'{"name": ["***", "***"]}', CURRENT_TIMESTAMP, id FROM django_content_type """
            "WHERE app_label = 'auth' AND model = 'group'"
        )
    records = change_records()

    migrate()

    assert change_records() == records  # untouched, and said so
    out = capsys.readouterr().out
    assert f"1 of {len(records)} change records" in out and "kept" in out
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {CHANGE_LOG}")  # noqa: S608 - its triggers stay
    assert "auditlog_logentry" not in connection.introspection.table_names()
    ledger_is_intact_and_grows()


@pytest.mark.django_db(transaction=True)
def test_an_older_main_migrates_forward_with_nothing_lost(old_database):
    old_database("older")
    entries, head = AuditEntry.objects.count(), AuditEntry.objects.order_by("seq").last().seq
    links = old_customer_links()

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
    assert_change_log_gone()  # empty: nothing to keep
    assert_axes_gone()

    ledger_kept(head, entries)
    assert_every_link_carried(links)
    ledger_is_intact_and_grows()
    assert_daily_counts_match_the_ledger()
