"""Model changes, captured by django-auditlog, redacted and copied into the ledger.

auditlog records which fields a save, delete or many-to-many change touched. Its default
masking keeps half of a value readable and it also stores the object's ``str()``, its
serialized data, "additional data" and the actor's e-mail, so the log entry model is
ours (``audit.ChangeLogEntry``) and rewrites itself before it is saved: field names
stay, every value becomes ``REDACTED``. Each change then also becomes a
``model.create``, ``model.update``, ``model.delete`` or ``model.relations`` entry in
the one ledger timeline.
"""

from functools import wraps

from django.apps import apps
from django.db.models import ManyToManyField

from audit.actions import Action
from vault.encryption import EncryptedField, EncryptedRecordField
from vault.reads import bulk_read

REDACTED = "***"
# Every model of these apps is tracked, whatever models they grow; see register_models.
TRACKED_APPS = ("customers", "policy")
# Changes of the shop's people and their roles (group membership) are tracked too.
TRACKED_MODELS = ("auth.User", "auth.Group")
# Fields whose routine updates are noise: last_login changes at every sign-in, which the
# ledger records as auth.sign_in already.
IGNORED_FIELDS = {"auth.user": ["last_login"]}
VERBS = {0: Action.MODEL_CREATE, 1: Action.MODEL_UPDATE, 2: Action.MODEL_DELETE}


def redact(value):
    """auditlog mask callable: nothing of the value survives, not even its length."""
    return REDACTED


def register_models():
    """Register every model of ``TRACKED_APPS`` and ``TRACKED_MODELS`` with auditlog.

    Runs at ``ready()``; an app or model that does not exist (yet) is skipped.
    """
    from auditlog import receivers
    from auditlog.registry import auditlog

    if not hasattr(receivers.model_instance_diff, "__wrapped__"):
        receivers.model_instance_diff = _diff_without_reading(receivers.model_instance_diff)
    for model in _tracked_models():
        if auditlog.contains(model):
            auditlog.unregister(model)
        # Members of an encrypted record have no column of their own but are the fields
        # a change names; the record column itself would only say "something changed".
        fields = [f.name for f in model._meta.get_fields() if f.concrete or _is_member(f)]
        records = [f.name for f in model._meta.get_fields() if isinstance(f, EncryptedRecordField)]
        m2m = [f.name for f in model._meta.get_fields() if isinstance(f, ManyToManyField)]
        auditlog.register(
            model,
            exclude_fields=[*IGNORED_FIELDS.get(model._meta.label_lower, []), *records],
            mask_fields=fields,
            mask_callable="audit.changes.redact",
            m2m_fields=m2m,
        )


def _diff_without_reading(diff):
    """auditlog compares old and new values to name the changed fields: part of saving,
    not a read. It runs as ``bulk_read("save")`` and leaves both instances as they were,
    so values still sealed before the save stay sealed after it."""

    @wraps(diff)
    def names_changes(old, new, *args, **kwargs):
        kept = [(obj, dict(obj.__dict__)) for obj in (old, new) if obj is not None]
        try:
            with bulk_read("save"):
                return diff(old, new, *args, **kwargs)
        finally:
            for obj, before in kept:
                obj.__dict__.clear()
                obj.__dict__.update(before)

    return names_changes


def _is_member(field):
    return isinstance(field, EncryptedField) and bool(field.record)


def _tracked_models():
    for label in TRACKED_APPS:
        try:
            yield from apps.get_app_config(label).get_models()
        except LookupError:
            continue
    for dotted in TRACKED_MODELS:
        try:
            yield apps.get_model(dotted)
        except LookupError:
            continue


def scrub_log_entry(instance):
    """Keep the field names of an auditlog entry, drop every value (called by its save)."""
    instance.object_repr = str(instance.object_pk)
    instance.serialized_data = None
    instance.additional_data = None
    instance.actor_email = None
    instance.changes_text = ""
    instance.changes = _redacted_changes(instance.changes)


def _redacted_changes(changes):
    if not isinstance(changes, dict):
        return changes and {}
    redacted = {}
    for field, change in changes.items():
        if isinstance(change, dict) and change.get("type") == "m2m":
            redacted[field] = {
                "type": "m2m",
                "operation": change.get("operation"),
                "objects": [REDACTED] * len(change.get("objects") or []),
            }
        else:
            redacted[field] = [REDACTED, REDACTED]
    return redacted


def copy_change_to_ledger(sender, instance, action, log_entry=None, log_created=False, **kwargs):
    """auditlog's post_log (create, update, delete): the same change as a ledger entry."""
    if log_created:
        _record_change(VERBS.get(action, Action.MODEL_ACCESS), log_entry, customer_of(instance))


def copy_relations_to_ledger(sender, instance, created, raw=False, **kwargs):
    """post_save of auditlog's LogEntry, for many-to-many changes (no post_log for them)."""
    changes = instance.changes or {}
    if created and not raw and any(isinstance(c, dict) for c in changes.values()):
        _record_change(Action.MODEL_RELATIONS, instance, None)


def _record_change(action, log_entry, customer_id):
    from audit.ledger import record
    from audit.middleware import current_request

    model = log_entry.content_type.model_class()
    label = model._meta.label_lower if model else log_entry.content_type.model
    if label == "customers.customer":
        customer_id = log_entry.object_pk
    record(
        action,
        request=current_request(),
        actor=log_entry.actor,
        target=(label, log_entry.object_pk),
        customers=[customer_id] if customer_id else [],
        detail={"fields": sorted(log_entry.changes or {})},
    )


def customer_of(instance):
    """The ``customer_id`` of a tracked row that belongs to a customer, if any."""
    value = getattr(instance, "customer_id", None)
    return str(value) if value is not None else None
