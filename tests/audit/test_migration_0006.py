"""audit 0006 gives every existing customer link its entry's action, and the links stay
append-only afterwards."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

# A migration round trip: seconds each.
pytestmark = pytest.mark.slow

BEFORE = ("audit", "0005_change_log_append_only")
AFTER = ("audit", "0006_counted_customer_links")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def old_entry(apps, seq, action, customers):
    Entry = apps.get_model("audit", "AuditEntry")
    Link = apps.get_model("audit", "AuditEntryCustomer")
    now = timezone.now()
    entry = Entry.objects.create(seq=seq, created_at=now, action=action, actor_id=7, chain="x")
    for customer in customers:
        Link.objects.create(entry=entry, customer_id=customer, actor_id=7, created_at=now)
    return entry.pk


@pytest.mark.django_db(transaction=True)
def test_0006_fills_in_every_links_action_and_keeps_them_append_only():
    old_apps = migrate(BEFORE)
    try:
        listed = old_entry(old_apps, 10**9 + 1, "customer.list", ["c1", "c2"])
        viewed = old_entry(old_apps, 10**9 + 2, "customer.view", ["c1"])

        new_apps = migrate(AFTER)
        Link = new_apps.get_model("audit", "AuditEntryCustomer")

        links = Link.objects.filter(entry_id__in=[listed, viewed])
        links = links.order_by("entry_id", "customer_id")
        assert [(link.entry_id, link.action) for link in links] == [
            (listed, "customer.list"),
            (listed, "customer.list"),
            (viewed, "customer.view"),
        ]
        with pytest.raises(DatabaseError), transaction.atomic():
            Link.objects.filter(entry_id=viewed).update(action="customer.list")
    finally:
        MigrationExecutor(connection).loader.build_graph()
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
