"""A database as the old main left it migrates forward with nothing lost.

The old main ended at shopguard 0002 (TrackedSession still in the shopguard app),
customers 0009, audit 0002 and policy 0003; since then TrackedSession moved to accounts
(shopguard 0003 + accounts 0001, state only), audit 0003 named the ledger's actions
and audit 0006 gave each customer link its action.
The test builds that database, fills it through the models of that time (and the real
ledger), migrates to the latest and checks every value, the moved rows and the chain.
"""

import datetime
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import TrackedSession
from audit import alerts, ledger
from audit.actions import Action
from audit.chain import canonical_json
from audit.ledger import record
from audit.management.commands.verify_audit import verify_ledger
from audit.models import AuditEntry
from customers.models import PERSONAL_FIELDS, Customer, ExportRequest, Purchase
from policy.content import canonical_articles, content_hash
from policy.models import DataRequest, PolicyVersion
from shopguard import encryption
from shopguard.encryption import encrypted_fields
from tests.customers.vault import HANAKO

OUR_APPS = {"accounts", "audit", "customers", "policy", "shopguard"}
OLD_MAIN = [
    ("shopguard", "0002_tracked_session"),
    ("customers", "0009_sealed_customer_record"),
    ("audit", "0002_append_only_triggers"),
    ("policy", "0003_encrypted_columns_binary"),
    ("accounts", None),  # the app had no migrations yet
]
REQUEST = {
    "name": "請求 次郎",
    "email": "jiro@example.jp",
    "phone": "080-2222-3333",
    "details": "保有個人データの開示をお願いします。",
    "note": "本人確認済み",
}
ARTICLES = [
    {
        "number": n,
        "title_ja": f"第{n}条",
        "title_en": f"Article {n}",
        "body_ja": "本文",
        "body_en": "Body",
    }
    for n in range(1, 8)
]


def old_main_targets():
    third_party = [
        node
        for node in MigrationExecutor(connection).loader.graph.leaf_nodes()
        if node[0] not in OUR_APPS
    ]
    return [*OLD_MAIN, *third_party]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    nodes = [target for target in targets if target[1] is not None]
    return MigrationExecutor(connection).loader.project_state(nodes).apps


def migrate_to_latest():
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def fill_old_database(old):
    """Rows of every kind, written with the models as they were on the old main (a
    customer then was one sealed record, as now)."""
    User = old.get_model("auth", "User")
    owner = User.objects.create(username="old-owner", is_staff=True)
    customers = [
        old.get_model("customers", "Customer").objects.create(
            id=uuid.uuid4(), sealed={**HANAKO, "email": f"c{n}@example.jp"}
        )
        for n in range(3)
    ]
    purchase = old.get_model("customers", "Purchase").objects.create(
        id=uuid.uuid4(),
        customer_id=customers[0].pk,
        product_name="育毛剤プレミアム",
        # Earlier transactional tests may have flushed the seeded categories.
        category=old.get_model("customers", "Category").objects.get_or_create(
            code="medicine",
            defaults={"name_ja": "医薬品", "name_en": "Medicine", "sensitive": True},
        )[0],
        amount=4800,
        purchased_on=datetime.date(2026, 11, 1),
    )
    old.get_model("shopguard", "TrackedSession").objects.create(
        user_id=owner.pk, session_key="s" * 32
    )
    data_request = old.get_model("policy", "DataRequest").objects.create(
        id=uuid.uuid4(), reference="R-OLD-0001", kind="disclose", **REQUEST
    )
    articles = canonical_articles(ARTICLES)
    old.get_model("policy", "PolicyVersion").objects.create(
        number=90,
        status="published",
        effective_date=datetime.date(2026, 11, 1),
        articles=articles,
        content_hash=content_hash(articles),
    )
    export = old.get_model("customers", "ExportRequest").objects.create(
        id=uuid.uuid4(),
        requested_by_id=owner.pk,
        purpose="お礼状",
        recipient="internal",
        fields=["name", "email"],
    )
    live_owner = get_user_model().objects.get(pk=owner.pk)
    for customer in customers:
        record(Action.CUSTOMER_VIEW, actor=live_owner, customers=[customer.pk])
    record(Action.EXPORT_REQUEST, actor=live_owner, target=("customers.exportrequest", export.pk))
    return {
        "owner": owner.pk,
        "customers": [c.pk for c in customers],
        "purchase": purchase.pk,
        "data_request": data_request.pk,
        "export": export.pk,
    }


def old_main_insert(entry):
    """``audit.ledger._insert`` as the old main had it: its customer index rows carried no
    action column yet (audit 0006 added it and fills it in for rows like these)."""
    values = [getattr(entry, name) for name in ledger._COLUMNS]
    values[1] = connection.ops.adapt_datetimefield_value(entry.created_at)
    values[12], values[13] = canonical_json(entry.customer_ids), canonical_json(entry.detail)
    with connection.cursor() as cursor:
        cursor.execute(ledger._INSERT_ENTRY, values)
        entry.pk = cursor.fetchone()[0]
        cursor.execute(ledger._UPDATE_HEAD, [entry.chain, ledger.HEAD_PK])
        cursor.executemany(
            "INSERT INTO audit_auditentrycustomer (entry_id, customer_id, actor_id, created_at) "
            "VALUES (%s, %s, %s, %s)",
            [(entry.pk, c, entry.actor_id, values[1]) for c in entry.customer_ids],
        )
    entry._state.adding, entry._state.db = False, connection.alias


@pytest.mark.django_db(transaction=True)
def test_a_database_from_the_old_main_migrates_forward_with_nothing_lost(monkeypatch, test_reads):
    try:
        old = migrate(old_main_targets())
        monkeypatch.setattr(ledger, "_insert", old_main_insert)
        # Its bulk-view alert read the links without an action column; not under test here.
        monkeypatch.setattr(alerts, "_distinct_customers_in_window", lambda entry: 0)
        assert "accounts" not in {m._meta.app_label for m in old.get_models()}
        made = fill_old_database(old)
        monkeypatch.undo()
        entries = AuditEntry.objects.count()

        migrate_to_latest()

        for number, pk in enumerate(made["customers"]):
            customer = Customer.objects.get(pk=pk)
            assert {n: getattr(customer, n) for n in PERSONAL_FIELDS} == {
                **HANAKO,
                "email": f"c{number}@example.jp",
            }
        assert Purchase.objects.get(pk=made["purchase"]).product_name == "育毛剤プレミアム"
        data_request = DataRequest.objects.get(pk=made["data_request"])
        assert {key: getattr(data_request, key) for key in REQUEST} == REQUEST
        # Added later with the schema's empty default (no ciphertext): it reads as empty.
        assert data_request.refusal_reason == ""
        # Every stored value is now of the current format version (pk bytes).
        for model in (Customer, Purchase, DataRequest):
            for field in encrypted_fields(model):
                tokens = model.objects.values_list(field.attname, flat=True)
                assert {bytes(t)[0] for t in tokens if t is not None} == {encryption.VERSION}
        assert ExportRequest.objects.get(pk=made["export"]).fields == ["name", "email"]
        version = PolicyVersion.objects.get(number=90)
        assert version.content_hash == content_hash(version.articles)
        session = TrackedSession.objects.get(session_key="s" * 32)
        assert session.user_id == made["owner"]

        assert AuditEntry.objects.count() == entries
        assert verify_ledger().intact
        record(Action.CUSTOMER_VIEW, actor=session.user, customers=[made["customers"][0]])
        verdict = verify_ledger()
        assert verdict.intact and verdict.count == entries + 1
    finally:
        migrate_to_latest()
