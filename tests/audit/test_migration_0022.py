"""audit 0022 carries every customer link into the compact form (issue #26) and back:
who looked still finds every entry, the new rows are append-only, and going back
rebuilds the links with their entry's actor, time and action."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.audit.conftest import appearance_rows, named_entries

# A migration round trip: seconds each.
pytestmark = pytest.mark.slow

BEFORE = ("audit", "0021_access_reviews")
AFTER = ("audit", "0022_compact_customer_appearances")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def old_entry(apps, seq, action, customers):
    """An entry and its links as the code before 0022 wrote them."""
    Entry = apps.get_model("audit", "AuditEntry")
    Link = apps.get_model("audit", "AuditEntryCustomer")
    now = timezone.now()
    entry = Entry.objects.create(
        seq=seq, created_at=now, action=action, actor_id=7, chain="x", customer_ids=customers
    )
    for customer in customers:
        Link.objects.create(
            entry=entry, customer_id=customer, actor_id=7, created_at=now, action=action
        )
    return entry.pk


def links(apps, entries):
    Link = apps.get_model("audit", "AuditEntryCustomer")
    rows = Link.objects.filter(entry_id__in=entries).order_by("entry_id", "customer_id")
    return [(r.entry_id, r.customer_id, r.actor_id, r.action) for r in rows]


@pytest.mark.django_db(transaction=True)
def test_0022_carries_every_link_and_back():
    old_apps = migrate(BEFORE)
    try:
        listed = old_entry(old_apps, 10**9 + 1, "customer.list", ["c1", "c2", "c3"])
        viewed = old_entry(old_apps, 10**9 + 2, "customer.view", ["c1"])
        before = links(old_apps, [listed, viewed])
        assert len(before) == 4

        migrate(AFTER)
        assert "audit_auditentrycustomer" not in connection.introspection.table_names()
        assert named_entries("c1") == [listed, viewed]
        assert named_entries("c3") == [listed]
        if connection.vendor == "sqlite":
            assert appearance_rows() == [
                (listed, "c1"),
                (listed, "c2"),
                (listed, "c3"),
                (viewed, "c1"),
            ]
            with pytest.raises(DatabaseError), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("DELETE FROM audit_appearance")
            with pytest.raises(DatabaseError), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("UPDATE audit_customerkey SET customer_id = 'c9'")

        back_apps = migrate(BEFORE)
        assert links(back_apps, [listed, viewed]) == before
        Link = back_apps.get_model("audit", "AuditEntryCustomer")
        with pytest.raises(DatabaseError), transaction.atomic():
            Link.objects.filter(entry_id=viewed).update(action="customer.list")
    finally:
        MigrationExecutor(connection).loader.build_graph()
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
