"""audit.changes: a save without an entry of its own is recorded as one model.* entry,
naming the changed fields and never their values; a block of saves whose caller writes
its own entry is recorded by that entry alone."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from accounts.roles import set_role
from audit import changes
from audit.actions import ALERT_ACTIONS, Action
from audit.ledger import record
from customers.models import Customer, Purchase
from tests.factories import entries_after, ledger_mark
from vault.roles import MANAGER

MARKER_NAME = "MARKER山田"
MARKER_EMAIL = "marker.yamada@example.jp"


def ledger_dump():
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_auditentry")
        return repr(cursor.fetchall())


def records_after(mark):
    """Entries after ``mark`` that record work: an alert an entry raised (alert.raise)
    is about that entry, not a record of a save."""
    return entries_after(mark).exclude(action__in=ALERT_ACTIONS)


def written_after(mark):
    return list(records_after(mark).order_by("seq").values_list("action", "detail"))


def test_a_model_change_names_its_fields_and_no_values(people):
    user = get_user_model().objects.get(pk=people.erin.pk)
    user.first_name = MARKER_NAME
    user.email = MARKER_EMAIL
    mark = ledger_mark()
    user.save()

    entry = entries_after(mark).get()
    assert entry.action == "model.update"
    assert (entry.target_type, entry.target_id) == ("auth.user", str(user.pk))
    assert entry.detail == {"fields": ["email", "first_name"]}
    dump = ledger_dump()
    assert MARKER_NAME not in dump and MARKER_EMAIL not in dump


@pytest.mark.usefixtures("test_reads")
def test_a_customer_change_names_the_personal_fields_not_their_record_or_indexes(db):
    customer = Customer.objects.create(name="見本 花子", email="before@example.jp")
    loaded = Customer.objects.get(pk=customer.pk)
    loaded.email = MARKER_EMAIL
    loaded.name = MARKER_NAME
    mark = ledger_mark()
    loaded.save()  # outside any read scope: comparing is part of saving, not a read

    entry = entries_after(mark).get()
    assert entry.action == "model.update"
    assert entry.detail == {"fields": ["email", "name"]}
    assert entry.customer_ids == [str(customer.pk)]
    dump = ledger_dump()
    assert MARKER_NAME not in dump and MARKER_EMAIL not in dump


@pytest.mark.usefixtures("test_reads")
def test_comparing_leaves_the_values_not_set_sealed(db):
    customer = Customer.objects.create(name="見本 花子", phone="090-0000-0001")
    loaded = Customer.objects.get(pk=customer.pk)
    loaded.name = "見本 次郎"
    mark = ledger_mark()
    loaded.save()

    assert entries_after(mark).get().detail == {"fields": ["name"]}
    assert "phone" not in loaded.__dict__  # never decrypted on the saved instance
    assert "_audit_changed_fields" not in loaded.__dict__


@pytest.mark.usefixtures("test_reads")
def test_an_encrypted_column_counts_only_when_its_value_changed(db):
    customer = Customer.objects.create(name="見本 花子")
    from customers.models import Category

    purchase = Purchase.objects.create(
        customer=customer,
        category=Category.objects.get(code="food"),
        product_name="有機玄米 5kg",
        amount=3200,
        purchased_on="2026-11-01",
    )
    loaded = Purchase.objects.get(pk=purchase.pk)
    loaded.amount = 3300
    mark = ledger_mark()
    loaded.save()
    entry = entries_after(mark).get()
    assert entry.detail == {"fields": ["amount"]}  # the sealed product name is unchanged
    assert entry.customer_ids == [str(customer.pk)]
    assert loaded.__dict__["product_name"].__class__ in (bytes, memoryview)

    loaded.product_name = "有機玄米 10kg"
    mark = ledger_mark()
    loaded.save()
    assert entries_after(mark).get().detail == {"fields": ["product_name"]}


def test_saving_without_a_change_writes_nothing(people):
    user = get_user_model().objects.get(pk=people.erin.pk)
    mark = ledger_mark()
    user.save()
    assert not entries_after(mark).exists()


def test_creating_and_deleting_are_one_entry_each(db):
    mark = ledger_mark()
    group = Group.objects.create(name="marker-group")
    pk = str(group.pk)
    group.delete()
    assert written_after(mark) == [
        ("model.create", {"fields": ["name"]}),
        ("model.delete", {}),
    ]
    assert set(entries_after(mark).values_list("target_id", flat=True)) == {pk}
    assert "marker-group" not in ledger_dump()


def test_group_membership_is_recorded_as_relations(people):
    mark = ledger_mark()
    set_role(people.carol, MANAGER)  # no entry of its own: each write is recorded
    relations = entries_after(mark).filter(action="model.relations")
    assert relations.count() == 2  # removed from the role groups, added to manager
    assert {(e.target_type, e.target_id) for e in relations} == {
        ("auth.user", str(people.carol.pk))
    }
    assert all(e.detail == {"fields": ["groups"]} for e in relations)


def test_a_groups_permissions_are_recorded_as_relations(db):
    group = Group.objects.create(name="marker-group")
    mark = ledger_mark()
    group.permissions.add(Permission.objects.first())
    group.permissions.add()  # nothing added: nothing recorded
    assert written_after(mark) == [("model.relations", {"fields": ["permissions"]})]


def test_sign_in_time_updates_are_not_recorded_as_changes(people):
    from django.contrib.auth.models import update_last_login

    mark = ledger_mark()
    update_last_login(None, people.carol)
    assert not entries_after(mark).exists()


# recorded_by_caller -------------------------------------------------------------------


def test_a_block_with_its_own_entry_writes_only_that_entry(people):
    user = get_user_model().objects.get(pk=people.erin.pk)
    mark = ledger_mark()
    with transaction.atomic(), changes.recorded_by_caller() as saves:
        user.first_name = MARKER_NAME
        user.save()
        set_role(user, MANAGER)
        record(Action.ACCOUNT_ROLE_CHANGE, target=user, detail={"fields": saves.fields()})
    assert written_after(mark) == [
        ("account.role_change", {"fields": ["first_name", "groups", "is_staff"]})
    ]


def test_fields_names_only_what_changed_since_it_was_last_asked(db):
    with changes.recorded_by_caller() as saves:
        group = Group.objects.create(name="first")
        assert saves.fields() == ["name"]
        group.permissions.add(Permission.objects.first())
        assert saves.fields() == ["permissions"]
        assert saves.fields() == []
        record(Action.AUDIT_READ)


def test_a_block_without_an_entry_records_its_saves_when_it_ends(people):
    user = get_user_model().objects.get(pk=people.erin.pk)
    mark = ledger_mark()
    with changes.recorded_by_caller():
        user.first_name = MARKER_NAME
        user.save()
        assert not entries_after(mark).exists()  # not yet: the caller may still write one
    assert written_after(mark) == [("model.update", {"fields": ["first_name"]})]


def test_a_block_inside_another_joins_it(people):
    user = get_user_model().objects.get(pk=people.erin.pk)
    mark = ledger_mark()
    with changes.recorded_by_caller() as outer:
        user.first_name = MARKER_NAME
        user.save()
        with changes.recorded_by_caller() as inner:
            assert inner is outer
            record(Action.ACCOUNT_REACTIVATE, target=user, detail={"fields": inner.fields()})
    assert written_after(mark) == [("account.reactivate", {"fields": ["first_name"]})]


def test_a_block_that_fails_records_nothing_and_keeps_nothing(people):
    mark = ledger_mark()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        with changes.recorded_by_caller():
            Group.objects.create(name="half-done")
            1 / 0
    assert not entries_after(mark).exists()
    assert not Group.objects.filter(name="half-done").exists()


def test_a_block_without_naming_compares_nothing(db, django_assert_num_queries):
    customer = Customer.objects.create(name="見本 花子")
    loaded = Customer.objects.get(pk=customer.pk)
    loaded.name = "見本 次郎"
    mark = ledger_mark()
    with changes.recorded_by_caller(naming=False) as saves:
        with django_assert_num_queries(1):  # the UPDATE, no read of the stored row
            loaded.save()
        assert saves.fields() == []
        record(Action.AUDIT_READ)
    assert written_after(mark) == [("audit.read", {})]


# What is tracked ----------------------------------------------------------------------


def test_every_model_of_the_tracked_apps_and_the_people_is_tracked():
    from django.apps import apps

    tracked = set(changes.tracked_models())
    for label in ("customers", "policy", "datarequests"):
        assert set(apps.get_app_config(label).get_models()) <= tracked
    User = get_user_model()
    assert {User, Group} <= tracked
    for model in tracked:
        for signal in (pre_save, post_save, post_delete):
            assert signal.has_listeners(model), model
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        assert m2m_changed.has_listeners(through)
    assert Permission not in tracked and not post_save.has_listeners(Permission)


def test_models_of_a_tracked_app_are_found_whatever_it_grows(monkeypatch):
    from django.contrib.contenttypes.models import ContentType

    monkeypatch.setattr(changes, "TRACKED_APPS", ("contenttypes", "no_such_app"))
    monkeypatch.setattr(changes, "TRACKED_MODELS", ("auth.Group", "no_such.Model"))
    assert list(changes.tracked_models()) == [ContentType, Group]


def test_a_change_of_a_customers_row_names_the_customer():
    class Row:
        customer_id = "8d6f0c1e-0000-4000-8000-000000000001"

    assert changes.customer_of(Row()) == Row.customer_id
    assert changes.customer_of(object()) is None
