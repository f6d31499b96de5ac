"""Recorded reads: every decryption of a personal value happens inside a declared scope.

The decrypting descriptors of ``vault.encryption`` call ``opening`` before they
decrypt a stored value. Code that reads personal data says why, with one of two scopes:

* ``recorded_read(customers, entry=...)``: a person is shown (or works with) these
  customers' data, and the ledger entry naming them is written in the same transaction.
  Only rows of those customers may be decrypted inside it: the customer row itself, or a
  row whose ``customer_id`` is one of them (purchases, data requests), or a row named in
  ``rows`` (a data request not linked to a customer).
* ``bulk_read(reason)``: code that legitimately reads many rows, or reads without
  showing (re-sealing on save, checking a reveal's reason, matching a search). The
  reason must be one of ``BULK_READS``, each documented there.

A decryption outside any scope, or of a row its recorded scope does not cover, is an
*unrecorded read*. ``settings.SHOPGUARD_UNRECORDED_READS`` decides what happens: "raise"
(tests and DEBUG) raises ``UnrecordedRead``; "record" (production) logs it and hands it to
the recorder the audit app registers (a ``customer.unrecorded_read`` ledger entry naming
model, field and row, never the value), then lets the read go on.

The library imports no app: the audit app registers its recorder with ``set_recorder``.
"""

import logging
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver

logger = logging.getLogger("vault.reads")

RAISE, RECORD = "raise", "record"

# Why code may decrypt without a per-customer ledger entry: reason -> what it is for.
# A reason marked internal never shows a value to a person (checks, matching, re-sealing).
BULK_READS = {
    # Internal: values are decrypted to be checked or re-sealed, never shown.
    "save": "re-sealing a customer's record and refreshing its blind indexes on save",
    "reason_check": "refusing a reveal reason that quotes the customer's own values",
    "search_match": "comparing search candidates' full digests (false matches dropped)",
    "import_match": "matching and validating imported rows against known customers",
    "export_check": "counting values an export's chosen encoding (CP932) cannot hold",
    "restore_check": "opening a sample of a restored backup's values to prove the keys open them",
    "retention_check": "proving no personal value of an anonymised customer remains",
    "label_check": "checking shipments' addresses fit a carrier's layout (fields named only)",
    # Bulk: every row is read on purpose, by a command or a recorded export.
    "rotate_keys": "re-encrypting every value under the newest key, rebuilding indexes",
    "export_archive": "writing an approved export (its download entry names every customer)",
    "bench": "measuring encrypted reads in a throwaway database",
}
INTERNAL_READS = frozenset(
    {
        "save",
        "reason_check",
        "search_match",
        "import_match",
        "export_check",
        "restore_check",
        "retention_check",
        "label_check",
    }
)


class UnrecordedRead(Exception):
    """A personal value was decrypted outside a recorded read (raised in tests and DEBUG)."""


# Told about each decryption: (instance, field, scope in force); see ``watch``.
Watcher = Callable[[models.Model, "models.Field[Any, Any]", "_Scope | None"], object]
# Records an unrecorded read in production: (instance, field); see ``set_recorder``.
Recorder = Callable[[models.Model, "models.Field[Any, Any]"], object]


class _Scope:
    """What may be decrypted now. ``customers`` is None for a bulk read (everything)."""

    __slots__ = ("reason", "customers", "rows", "entry")

    def __init__(
        self,
        reason: str,
        customers: frozenset[str] | None = None,
        rows: Collection[tuple[str, str]] = (),
        entry: object = None,
    ) -> None:
        self.reason = reason
        self.customers = customers
        self.rows = rows
        self.entry = entry

    def covers(self, instance: models.Model) -> bool:
        if self.customers is None:
            return True
        data = instance.__dict__
        label = instance._meta.label_lower
        if label == "customers.customer":
            owner = data.get("id")
        else:
            owner = data.get("customer_id")
        if owner is not None and str(owner) in self.customers:
            return True
        return (label, str(instance.pk)) in self.rows


_scope: ContextVar[_Scope | None] = ContextVar("shopguard_read_scope", default=None)
# Test instrumentation: callables told about every decryption (see ``watch``).
_watchers: list[Watcher] = []
_recorder: list[Recorder] = []
_mode: list[str] = []


def current_scope() -> _Scope | None:
    """The read scope in force, or None."""
    return _scope.get()


@contextmanager
def _entered(scope: _Scope | None) -> Iterator[_Scope | None]:
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def no_scope() -> AbstractContextManager[_Scope | None]:
    """Context manager: no read scope inside the block (each request starts like this)."""
    return _entered(None)


def recorded_read(
    customers: Iterable[object], *, entry: object = None, rows: Iterable[tuple[str, object]] = ()
) -> AbstractContextManager[_Scope | None]:
    """Context manager: decrypt rows of ``customers`` (ids) only, covered by ``entry``.

    ``rows`` adds single rows by ``(model label, pk)``, for one not linked to a customer.
    """
    covered = frozenset(str(c) for c in customers)
    named_rows = frozenset((label, str(pk)) for label, pk in rows)
    return _entered(_Scope("recorded", covered, named_rows, entry))


def bulk_read(reason: str) -> AbstractContextManager[_Scope | None]:
    """Context manager: decrypt any row, for ``reason`` (one of ``BULK_READS``)."""
    if reason not in BULK_READS:
        raise ValueError(f"{reason!r} is not a declared bulk read (vault.reads.BULK_READS).")
    return _entered(_Scope(reason))


def opening(instance: models.Model, field: "models.Field[Any, Any]") -> None:
    """Called by the descriptors before a stored value of ``field`` is decrypted."""
    scope = _scope.get()
    for watcher in _watchers:
        watcher(instance, field, scope)
    if scope is None or not scope.covers(instance):
        unrecorded(instance, field, scope)


def checked() -> bool:
    """True when decryptions need ``opening`` (no bulk scope, or someone is watching)."""
    scope = _scope.get()
    return scope is None or scope.customers is not None or bool(_watchers)


def unrecorded(
    instance: models.Model, field: "models.Field[Any, Any]", scope: _Scope | None = None
) -> None:
    """An unrecorded decryption: raise, or log and record it, as the setting says."""
    where = f"{instance._meta.label}.{field.name} of row {instance.pk}"
    if _unrecorded_mode() == RAISE:
        inside = "" if scope is None else " (not covered by the recorded read in force)"
        raise UnrecordedRead(
            f"{where} was decrypted outside a recorded read{inside}: read it through "
            "customers.reading, or declare a bulk_read (vault.reads)."
        )
    logger.warning("unrecorded read of %s", where)
    for record in _recorder:
        with _entered(_Scope("save")):  # recording never counts as another read
            record(instance, field)


def set_recorder(func: Recorder) -> None:
    """Register ``func(instance, field)``, called for each unrecorded read in production."""
    _recorder[:] = [func]


@contextmanager
def watch(func: Watcher) -> Iterator[None]:
    """Tell ``func(instance, field, scope)`` about every decryption inside the block."""
    _watchers.append(func)
    try:
        yield
    finally:
        _watchers.remove(func)


def _unrecorded_mode() -> str:
    if not _mode:
        mode = getattr(settings, "SHOPGUARD_UNRECORDED_READS", RAISE)
        if mode not in (RAISE, RECORD):
            mode = RAISE
        _mode.append(mode)
    return _mode[0]


@receiver(setting_changed)
def _forget_mode(setting: str, **kwargs: object) -> None:
    if setting == "SHOPGUARD_UNRECORDED_READS":
        _mode.clear()
