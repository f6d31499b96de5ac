from auditlog.registry import auditlog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection

from accounts.roles import set_role
from audit import changes
from audit.models import AuditEntry, ChangeLogEntry
from vault.roles import MANAGER

MARKER_NAME = "MARKER山田"
MARKER_EMAIL = "marker.yamada@example.jp"


def table_dump(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
        return repr(cursor.fetchall())


def test_a_model_change_keeps_field_names_and_no_values(people):
    user = get_user_model().objects.get(pk=people.erin.pk)
    user.first_name = MARKER_NAME
    user.email = MARKER_EMAIL
    user.save()

    log = ChangeLogEntry.objects.filter(object_pk=str(user.pk), action=1).latest("timestamp")
    assert set(log.changes) == {"first_name", "email"}
    assert all(values == ["***", "***"] for values in log.changes.values())
    assert log.object_repr == str(user.pk)
    assert log.serialized_data is None and log.additional_data is None
    entry = AuditEntry.objects.filter(action="model.update", target_id=str(user.pk)).last()
    assert entry.target_type == "auth.user"
    assert entry.detail == {"fields": ["email", "first_name"]}
    for table in ("audit_changelogentry", "audit_auditentry"):
        dump = table_dump(table)
        assert MARKER_NAME not in dump and MARKER_EMAIL not in dump


def test_a_customer_change_names_the_personal_fields_not_their_record(db):
    from customers.models import Customer

    customer = Customer.objects.create(name="見本 花子", email="before@example.jp")
    loaded = Customer.objects.get(pk=customer.pk)
    loaded.email = MARKER_EMAIL
    loaded.name = MARKER_NAME
    loaded.save()

    log = ChangeLogEntry.objects.filter(object_pk=str(customer.pk), action=1).latest("timestamp")
    assert {"email", "name"} <= set(log.changes) and "sealed" not in log.changes
    assert all(values == ["***", "***"] for values in log.changes.values())
    entry = AuditEntry.objects.filter(action="model.update", target_id=str(customer.pk)).last()
    assert {"email", "name"} <= set(entry.detail["fields"])
    assert "sealed" not in entry.detail["fields"]
    for table in ("audit_changelogentry", "audit_auditentry"):
        dump = table_dump(table)
        assert MARKER_NAME not in dump and MARKER_EMAIL not in dump


def test_creating_and_deleting_a_model_are_recorded(db):
    group = Group.objects.create(name="marker-group")
    pk = str(group.pk)
    group.delete()
    actions = list(
        AuditEntry.objects.filter(target_type="auth.group", target_id=pk).values_list(
            "action", flat=True
        )
    )
    assert actions == ["model.create", "model.delete"]
    assert "marker-group" not in table_dump("audit_changelogentry")


def last_seq():
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_a_role_change_is_recorded(people):
    before = last_seq()
    set_role(people.carol, MANAGER)
    relations = AuditEntry.objects.filter(
        seq__gt=before,
        action="model.relations",
        target_type="auth.user",
        target_id=str(people.carol.pk),
    )
    assert relations.count() == 2  # removed from staff, added to manager
    assert all(entry.detail == {"fields": ["groups"]} for entry in relations)
    logs = ChangeLogEntry.objects.filter(object_pk=str(people.carol.pk))
    groups = [log.changes["groups"] for log in logs if "groups" in (log.changes or {})]
    assert {"type": "m2m", "operation": "add", "objects": ["***"]} in groups


def test_sign_in_time_updates_are_not_recorded_as_changes(people):
    from django.contrib.auth.models import update_last_login

    before = last_seq()
    update_last_login(None, people.carol)
    assert not AuditEntry.objects.filter(seq__gt=before, action="model.update").exists()


def test_every_model_of_the_tracked_apps_is_registered(monkeypatch):
    monkeypatch.setattr(changes, "TRACKED_APPS", ("contenttypes", "no_such_app"))
    try:
        changes.register_models()
        from django.contrib.contenttypes.models import ContentType

        assert auditlog.contains(ContentType)
        fields = auditlog.get_model_fields(ContentType)
        assert set(fields["mask_fields"]) >= {"app_label", "model"}
        assert fields["mask_callable"] == "audit.changes.redact"
    finally:
        from django.contrib.contenttypes.models import ContentType

        auditlog.unregister(ContentType)


def test_customers_and_policy_models_are_registered_when_they_exist():
    from django.apps import apps

    for label in changes.TRACKED_APPS:
        for model in apps.get_app_config(label).get_models():
            assert auditlog.contains(model), model
    assert auditlog.contains(get_user_model())
    assert auditlog.contains(Group)
    assert not auditlog.contains(Permission)


def test_a_change_of_a_customers_row_names_the_customer():
    class Row:
        customer_id = "8d6f0c1e-0000-4000-8000-000000000001"

    assert changes.customer_of(Row()) == Row.customer_id
    assert changes.customer_of(object()) is None
