"""ShopGuard's change recorder: every save, deletion and many-to-many change of a tracked
model reaches the ledger exactly once, naming the fields it changed, never their values.

Tracked are every model of ``TRACKED_APPS`` and the models in ``TRACKED_MODELS``; the
receivers below are connected by ``AuditConfig.ready()`` (``connect``).

A change is recorded one of two ways, never both:

* By default, right after the save: ``model.create``, ``model.update`` (only when a
  field changed), ``model.delete`` or ``model.relations`` (rows of a many-to-many
  relation added, removed or cleared), with ``{"fields": [names]}``.
* Code that writes its own entry for its saves (``customer.change``, ``purchase.add``,
  ``account.role_change``, a data request's step, ...) does the saves and writes that
  entry inside ``with recorded_by_caller() as saves:``. The saves of the block then
  write nothing of their own, and ``saves.fields()`` names what they changed, for the
  caller's entry. A block in which no ledger entry at all gets written (a wrong identity
  code, say) has its saves recorded the default way as it ends, so no save goes
  unrecorded. A block opened inside another one joins it.

Which fields changed: before an update the stored row is read (one query) and compared
with the instance. Each member of an encrypted record counts as a field; the record's
own column does not. Reading the stored values is part of saving
(``bulk_read("save")``), and the instance being saved is never decrypted: a member or
encrypted column it has not read or set is unchanged, so values still sealed stay
sealed. A new row names the fields given a value. ``IGNORED_FIELDS`` never count.

Saves in a database other than the default one (the benchmarks' throwaway copies) are
not the shop's data and are not recorded.
"""

import dataclasses
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any, NamedTuple

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from audit import ledger
from audit.actions import Action
from audit.middleware import current_request
from vault.encryption import EncryptedField, EncryptedRecordField
from vault.reads import bulk_read

# Every model of these apps is tracked, whatever models they grow.
TRACKED_APPS = ("customers", "policy", "datarequests")
# The shop's people and their roles (group membership, a group's permissions).
TRACKED_MODELS = ("auth.User", "auth.Group")
# Fields that never count as a change: last_login changes at every sign-in (recorded as
# auth.sign_in already); blind indexes and digests follow the value they are made from,
# which is named itself.
IGNORED_FIELDS = {
    "auth.user": {"last_login"},
    "customers.customer": {"email_index", "phone_index", "name_index", "name_kana_index"},
    "datarequests.datarequest": {"email_digest"},
}
# The changed fields, from pre_save (compared) to post_save (recorded), on the instance.
_CHANGED = "_audit_changed_fields"


class Change(NamedTuple):
    """One recorded save, deletion or relation change of a tracked row."""

    action: Action
    target: tuple[str, Any]
    customer: str | None
    fields: list[str]


@dataclasses.dataclass
class Saves:
    """The changes made inside one ``recorded_by_caller()`` block."""

    naming: bool = True
    changes: list[Change] = dataclasses.field(default_factory=list)
    named: int = 0  # how many of ``changes`` fields() has named already

    def fields(self):
        """The names of the fields changed since the last call (sorted), for the entry
        the caller writes about them."""
        names = {name for change in self.changes[self.named :] for name in change.fields}
        self.named = len(self.changes)
        return sorted(names)


_block: ContextVar[Saves | None] = ContextVar("audit_changes_block", default=None)


@contextmanager
def recorded_by_caller(naming=True):
    """Saves inside this block are recorded by the entry the caller writes in it.

    Yields the block's ``Saves``. With ``naming=False`` (bulk work whose entry gives
    counts, such as an import) no field is compared and ``fields()`` names none. If the
    block ends without any ledger entry written in it, its changes are recorded the
    default way then; if it ends with an error, nothing is (its transaction rolls back).
    """
    outer = _block.get()
    if outer is not None:
        yield outer
        return
    saves = Saves(naming=naming)
    written = ledger.entries_written()
    token = _block.set(saves)
    try:
        yield saves
    finally:
        _block.reset(token)
    if ledger.entries_written() == written:
        for change in saves.changes:
            write(change)


def write(change):
    """The default entry of one change."""
    detail = {} if change.action == Action.MODEL_DELETE else {"fields": change.fields}
    ledger.record(
        change.action,
        request=current_request(),
        target=change.target,
        customers=[change.customer] if change.customer else [],
        detail=detail,
    )


def _changed(action, instance, fields):
    label = instance._meta.label_lower
    customer = str(instance.pk) if label == "customers.customer" else customer_of(instance)
    change = Change(action, (label, instance.pk), customer, fields)
    block = _block.get()
    if block is None:
        write(change)
    else:
        block.changes.append(change)


def customer_of(instance):
    """The ``customer_id`` of a tracked row that belongs to a customer, if any."""
    value = getattr(instance, "customer_id", None)
    return str(value) if value is not None else None


# Receivers ----------------------------------------------------------------------------


def _before_save(sender, instance, using=DEFAULT_DB_ALIAS, update_fields=None, **kwargs):
    if using != DEFAULT_DB_ALIAS:
        return
    block = _block.get()
    naming = block is None or block.naming
    instance.__dict__[_CHANGED] = changed_fields(instance, using, update_fields) if naming else None


def _after_save(sender, instance, created, using=DEFAULT_DB_ALIAS, **kwargs):
    if using != DEFAULT_DB_ALIAS or _CHANGED not in instance.__dict__:
        return
    fields = instance.__dict__.pop(_CHANGED)
    if fields is not None and not fields and not created:
        return  # saved as it was: nothing changed
    _changed(Action.MODEL_CREATE if created else Action.MODEL_UPDATE, instance, fields or [])


def _after_delete(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    if using == DEFAULT_DB_ALIAS:
        _changed(Action.MODEL_DELETE, instance, [])


def _relations_receiver(relation):
    """The m2m_changed receiver of one many-to-many field, from either side."""

    def relations_changed(sender, instance, action, reverse, pk_set, using, **kwargs):
        if using != DEFAULT_DB_ALIAS or action not in ("post_add", "post_remove", "post_clear"):
            return
        if action != "post_clear" and not pk_set:
            return  # nothing added or removed
        name = relation.remote_field.get_accessor_name() if reverse else relation.name
        _changed(Action.MODEL_RELATIONS, instance, [name])

    return relations_changed


def connect():
    """Connect the receivers to every tracked model (AuditConfig.ready calls this)."""
    for model in tracked_models():
        uid = f"audit_changes:{model._meta.label_lower}"
        pre_save.connect(_before_save, sender=model, dispatch_uid=uid)
        post_save.connect(_after_save, sender=model, dispatch_uid=uid)
        post_delete.connect(_after_delete, sender=model, dispatch_uid=uid)
        for relation in model._meta.local_many_to_many:
            m2m_changed.connect(
                _relations_receiver(relation),
                sender=relation.remote_field.through,
                weak=False,
                dispatch_uid=f"{uid}.{relation.name}",
            )


def tracked_models():
    """The models of ``TRACKED_APPS`` and ``TRACKED_MODELS`` (those that exist)."""
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


# Which fields changed -----------------------------------------------------------------


def changed_fields(instance, using=DEFAULT_DB_ALIAS, update_fields=None):
    """The names of the fields a save of ``instance`` changes (see the module docstring)."""
    model = type(instance)
    fields = compared_fields(model)
    if update_fields is not None:
        wanted = set(update_fields)
        fields = [f for f in fields if wanted & {f.name, f.attname, getattr(f, "record", None)}]
    data = instance.__dict__
    fields = [f for f in fields if f.attname in data]  # the rest is neither read nor set
    stored = None
    if not instance._state.adding and instance.pk is not None:
        stored = model._base_manager.using(using).filter(pk=instance.pk).first()
    if stored is None:
        return sorted(f.name for f in fields if _has_value(data[f.attname]))
    with bulk_read("save"):
        return sorted(f.name for f in fields if _differs(f, data[f.attname], stored))


@cache
def compared_fields(model):
    """The fields a change of ``model`` can name: its columns and the members of its
    encrypted records, without the pk, the records' own columns and IGNORED_FIELDS."""
    ignored = IGNORED_FIELDS.get(model._meta.label_lower, set())
    return [
        f
        for f in model._meta.fields
        if (f.concrete or _is_member(f))
        and not f.primary_key
        and not isinstance(f, EncryptedRecordField)
        and f.name not in ignored
    ]


def _is_member(field):
    return isinstance(field, EncryptedField) and bool(field.record)


def _is_token(value):
    return value.__class__ is bytes or value.__class__ is memoryview


def _has_value(value):
    return value is not None and not (isinstance(value, str) and value == "")


def _differs(field, new, stored: Model):
    if isinstance(field, EncryptedField):
        old = stored.__dict__.get(field.attname)
        if _is_token(new):  # still sealed: changed only if other ciphertext was put in
            return not _is_token(old) or bytes(new) != bytes(old)
        return new != getattr(stored, field.attname)  # decrypts the stored row only
    old = stored.__dict__.get(field.attname)
    try:
        return field.to_python(new) != field.to_python(old)
    except (ValidationError, TypeError, ValueError):
        return new != old
