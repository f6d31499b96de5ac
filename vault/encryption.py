"""Encrypted model fields: AES-256-GCM with a key id, key rotation and bound ciphertext.

Every stored value is binary (BLOB on SQLite, bytea on PostgreSQL)::

    version (1 byte, 2) | key id length (1 byte) | key id (ASCII) | nonce (12) | ciphertext+tag

The first key of ``settings.FIELD_ENCRYPTION_KEYS`` encrypts; every listed key decrypts.
The associated data is ``<app>.<model>:<field>:`` followed by the row's primary key, so a
value copied into another row or column fails to decrypt. The primary key must therefore
exist before the first save: models with encrypted fields use a UUID primary key with a
default. The version says how the key is written there: version 2 (what is written now)
takes a UUID's 16 bytes, version 1 took its text (``str(pk)``, which cost as much as the
decryption itself on a bulk read). Both are read; migrations move stored values between
them (``customers 0013``; data requests in ``datarequests 0001``), and ``rotate_keys``
writes version 2 too.

Values are decrypted lazily, on first attribute access, because only then is the row's
primary key known. Until then the attribute holds the stored ``bytes``: plaintext values of
these fields are never bytes, so the type alone says "still sealed" (no per-value database
converter is needed). A value that cannot be
decrypted raises ``DecryptionError`` naming the model, field and row; it is never returned
as ciphertext and never saved back. A row given a new pk after loading (the copy idiom,
``obj.pk = None; obj.save()``) opens its values under the pk they were loaded with and
saves them sealed for the new one. Lookups other than ``isnull`` raise ``FieldError``: use
a blind index to search.

Fields a model always reads together can share one column instead: an
``EncryptedRecordField`` seals them as one JSON object, and each of them is declared as
usual with ``record="<name of that column>"`` (a *member*: no column of its own, but a
model field for forms, validation and the admin). One decryption then opens a whole
customer (eleven values) instead of eleven, which is what keeps bulk reads near plaintext
speed. The record's associated data names its own column, so the binding is still model,
field and row: inside the record each value sits under its field's name.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple, Self, TypeGuard, TypeVar, cast
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django import forms
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, FieldError
from django.core.signals import setting_changed
from django.core.validators import MaxLengthValidator
from django.db import models
from django.dispatch import receiver
from django.utils.functional import cached_property

from vault import reads

if TYPE_CHECKING:
    from django.apps.registry import Apps
    from django.db.backends.base.schema import BaseDatabaseSchemaEditor
    from django.db.models.expressions import Col
    from django.db.models.lookups import Lookup, Transform
from vault.reads import _scope as _read_scope
from vault.reads import _watchers as _read_watchers

VERSION = 2  # what new values are written as
TEXT_PK_VERSION = 1  # the row's pk as text in the associated data
VERSIONS = (TEXT_PK_VERSION, VERSION)
NONCE_BYTES = 12  # GCM's standard nonce; random nonces are safe far beyond shop scale.

_M = TypeVar("_M", bound=models.Model)


class DecryptionError(Exception):
    """A stored value could not be decrypted (wrong key, moved or altered ciphertext)."""


_keyring_cache: dict[str, Keyring] = {}


def _header(key_id: str, version: int = VERSION) -> bytes:
    """The bytes every value sealed under ``key_id`` starts with: version, length, id."""
    raw = key_id.encode("ascii")
    return bytes((version, len(raw))) + raw


def row_bytes(pk: object, version: int = VERSION) -> bytes:
    """The row's part of the associated data in format ``version``: a UUID's 16 bytes from
    version 2, else the pk's text."""
    if version != TEXT_PK_VERSION and type(pk) is UUID:
        return pk.bytes
    return str(pk).encode()


@dataclass(frozen=True, slots=True)  # slots: the fastest attribute reads, once per value
class Keyring:
    """The configured keys, ready to use.

    Ciphers are looked up by the whole header (version, id length, id), so one dict lookup
    checks the version and finds the key; each key has one header per format version.
    """

    current_id: str  # the key new values are encrypted with (the first configured one)
    header: bytes  # that key's header in the current format
    ciphers: dict[bytes, AESGCM]  # header -> cipher, for every key and format version


def _keyring() -> Keyring:
    """The ``Keyring`` of the configured keys.

    The cache is dropped when FIELD_ENCRYPTION_KEYS changes through override_settings
    (tests); in production keys change only with a restart. Reading ``settings`` on every
    value would cost more than the decryption itself.
    """
    try:
        return _keyring_cache["ring"]
    except KeyError:
        source = settings.FIELD_ENCRYPTION_KEYS
        ciphers: dict[bytes, AESGCM] = {}
        for kid, raw in source.items():
            cipher = AESGCM(raw)
            ciphers.update((_header(kid, version), cipher) for version in VERSIONS)
        current = next(iter(source))
        ring = _keyring_cache["ring"] = Keyring(current, _header(current), ciphers)
        return ring


@receiver(setting_changed)
def _forget_keys(setting: str, **kwargs: object) -> None:
    if setting == "FIELD_ENCRYPTION_KEYS":
        _keyring_cache.clear()


def current_key_id() -> str:
    """The id of the key new values are encrypted with (the first configured key)."""
    return _keyring().current_id


def is_sealed(value: object) -> TypeGuard[bytes | memoryview]:
    """True for a stored (not yet decrypted) value: bytes as the database driver returns."""
    return isinstance(value, (bytes, memoryview))


def key_id_of(token: object) -> str | None:
    """The key id a stored value was encrypted with, or None if it is not ours."""
    if not is_sealed(token):
        return None
    raw = bytes(token)
    if len(raw) < 2 or raw[0] not in VERSIONS:
        return None
    end = 2 + raw[1]
    if len(raw) < end + NONCE_BYTES:
        return None
    try:
        return raw[2:end].decode("ascii")
    except UnicodeDecodeError:
        return None


def _version_of(token: object) -> int:
    """The format version a stored value says it has (the current one if it says none)."""
    return token[0] if is_sealed(token) and len(token) else VERSION


def encrypt(
    plain: bytes, associated: bytes, *, version: int = VERSION, key_id: str | None = None
) -> bytes:
    """Encrypt bytes bound to ``associated``, under the current key unless ``key_id`` names
    another configured one, marked as format ``version`` (the caller's associated data
    must follow that version: see ``row_bytes``)."""
    ring = _keyring()
    header = ring.header
    if key_id is not None or version != VERSION:
        header = _header(ring.current_id if key_id is None else key_id, version)
        if header not in ring.ciphers:
            raise ValueError(f"no configured key has id {key_id!r}, or no format {version}")
    nonce = os.urandom(NONCE_BYTES)
    return header + nonce + ring.ciphers[header].encrypt(nonce, plain, associated)


def decrypt(token: bytes | memoryview, associated: bytes) -> bytes:
    """Decrypt a stored value; raise DecryptionError (without the value) on any failure."""
    if token.__class__ is not bytes:
        if not isinstance(token, (bytes, memoryview)):
            raise DecryptionError("value is not ShopGuard ciphertext")
        token = bytes(token)
    try:
        return _decrypt(token, associated)
    except IndexError:
        raise DecryptionError("value is not ShopGuard ciphertext") from None
    except KeyError:
        if token[0] not in VERSIONS:
            raise DecryptionError(f"unknown format version {token[0]}") from None
        raise DecryptionError(f"no configured key has id {key_id_of(token)!r}") from None
    except (InvalidTag, ValueError):
        raise DecryptionError("authentication failed (wrong key, or value moved/altered)") from None


def _decrypt(token: bytes, associated: bytes) -> bytes:
    """The one decryption every path shares: the header finds the cipher (one slice, one
    dict lookup), then one AES-GCM decryption. It raises what it meets, for the caller to
    name: IndexError (too short for a header), KeyError (unknown version or key),
    InvalidTag or ValueError (wrong key, or the value moved or altered).

    It runs once per row of a bulk read, so it takes ``bytes`` only and checks nothing
    more: ``decrypt`` checks and names every failure, the descriptors send any failure
    to ``EncryptedField.open``.
    """
    start = 2 + token[1]
    cipher = (_keyring_cache.get("ring") or _keyring()).ciphers[token[:start]]
    nonce_end = start + NONCE_BYTES
    return cipher.decrypt(token[start:nonce_end], token[nonce_end:], associated)


# The pk a row had when its stored ciphertext was set (loaded, usually): a row copied
# under a new pk (``obj.pk = None; obj.save()``) still opens its values with it and
# re-seals them for the new pk, instead of saving values bound to the old row.
_SEALED_PK = "_encryption_sealed_pk"


class _EncryptedAttribute:
    """Descriptor that decrypts the stored value on first access, once the pk is known.

    ``__get__`` runs once per encrypted column of every row read, so its usual case goes
    straight to the shared decryption (``_decrypt``). Anything unusual (no pk yet,
    unknown key, damaged value) goes through ``EncryptedField.open``, which checks
    everything again and raises ``DecryptionError`` with the model, field and row.
    """

    def __init__(self, field: EncryptedField) -> None:
        self.field = field
        self.attname = field.attname
        # Text fields decode with bytes.decode itself: one Python call less per value.
        plain_text = type(field).from_bytes is EncryptedField.from_bytes
        self.from_bytes: Callable[[bytes], Any] = bytes.decode if plain_text else field.from_bytes

    @cached_property
    def pk_attname(self) -> str:
        return self.field._pk_attname

    @cached_property
    def associated_prefix(self) -> bytes:
        return self.field._associated_prefix

    def __get__(self, instance: models.Model | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        data = instance.__dict__
        try:
            value = data[self.attname]
        except KeyError:
            instance.refresh_from_db(fields=[self.attname])
            value = data[self.attname]
        if value.__class__ is not bytes:
            if value.__class__ is not memoryview:
                return value  # plaintext (decrypted already, or typed since loading)
            value = bytes(value)
        # Every decryption is a read: inside a bulk read it costs one context lookup.
        scope = _read_scope.get()
        if scope is None or scope.customers is not None or _read_watchers:
            reads.opening(instance, self.field)
        pk = data.get(self.pk_attname)
        if pk is None:
            # Raises, unless the row had a pk when its values were loaded.
            data[self.attname] = self.field.open(value, instance)
            return data[self.attname]
        try:
            # The row's part of the associated data as the value's format writes it.
            plain = _decrypt(value, self.associated_prefix + row_bytes(pk, value[0]))
        except (LookupError, InvalidTag, ValueError):
            data[self.attname] = self.field.open(value, instance)
        else:
            data[self.attname] = self.from_bytes(plain)
        return data[self.attname]

    def __set__(self, instance: models.Model, value: object) -> None:
        data = instance.__dict__
        if value.__class__ is bytes or value.__class__ is memoryview:
            remember_sealed_pk(data, self.pk_attname)
        data[self.attname] = value


def remember_sealed_pk(data: dict[str, Any], pk_attname: str) -> None:
    """Note the pk stored ciphertext arrives under (the first time only: a value copied
    in later from another row must still fail to open)."""
    if _SEALED_PK not in data:
        data[_SEALED_PK] = data.get(pk_attname)


def moved_since_sealed(instance: models.Model) -> bool:
    """True when ``instance`` has a new pk since its stored ciphertext was set."""
    data = instance.__dict__
    sealed_pk = data.get(_SEALED_PK)
    return sealed_pk is not None and sealed_pk != data.get(_pk_attname_of(instance))


def _pk_attname_of(model: models.Model | type[models.Model]) -> str:
    """The attribute holding the primary key (every model has one once it is ready)."""
    pk = model._meta.pk
    assert pk is not None  # a model without a primary key is not ready yet
    return pk.attname


if TYPE_CHECKING:
    _Field = models.Field[Any, Any]
else:
    _Field = models.Field  # a plain class at run time; generic for mypy (django-stubs)


class EncryptedField(_Field):
    """Base for encrypted fields: subclasses convert their Python type to and from bytes.

    The column is binary; ``max_length`` limits the plaintext (forms, validation).
    """

    descriptor_class = _EncryptedAttribute

    def __init__(self, *args: Any, record: str | None = None, **kwargs: Any) -> None:
        # max_length is enforced on the plaintext (forms, validation), not on the column.
        self.plain_max_length = kwargs.pop("max_length", None)
        # The name of the EncryptedRecordField this field lives in, if it has no column.
        self.record = record
        super().__init__(*args, **kwargs)
        if self.plain_max_length:
            self.validators.append(MaxLengthValidator(self.plain_max_length))

    def get_attname_column(self) -> tuple[str, str | None]:  # type: ignore[override]
        attname, column = super().get_attname_column()
        return (attname, None) if self.record else (attname, column)

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False
    ) -> None:
        if not self.record:
            super().contribute_to_class(cls, name, private_only)
            return
        # A member: a model field without a column (like GenericForeignKey), so forms,
        # full_clean() and the admin treat it as a field; its value lives in the record.
        super().contribute_to_class(cls, name, private_only=True)
        setattr(cls, self.attname, _MemberAttribute(self))

    @cached_property
    def record_field(self) -> EncryptedRecordField | None:
        """The EncryptedRecordField a member lives in (None for a field with a column)."""
        if not self.record:
            return None
        field = self.model._meta.get_field(self.record)
        assert isinstance(field, EncryptedRecordField)  # check() says so (vault.E001)
        return field

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if self.record:
            try:
                target = self.model._meta.get_field(self.record)
            except FieldDoesNotExist:
                target = None
            if not isinstance(target, EncryptedRecordField):
                errors.append(
                    checks.Error(
                        f"record={self.record!r} does not name an EncryptedRecordField.",
                        obj=self,
                        id="vault.E001",
                    )
                )
        return errors

    def get_internal_type(self) -> str:
        return "BinaryField"  # BLOB on SQLite, bytea on PostgreSQL

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        if self.plain_max_length:
            kwargs["max_length"] = self.plain_max_length
        if self.record:
            kwargs["record"] = self.record
        return name, path, args, kwargs

    def to_bytes(self, value: Any) -> bytes:
        return str(value).encode("utf-8")

    def from_bytes(self, raw: bytes) -> Any:
        return raw.decode("utf-8")

    # A member's value inside its record's JSON object (text is stored as it is).
    to_json: Callable[[Any], Any] | None = None
    from_json: Callable[[Any], Any] | None = None

    @cached_property
    def _associated_prefix(self) -> bytes:
        return f"{self.model._meta.label_lower}:{self.name}:".encode()

    @cached_property
    def _pk_attname(self) -> str:
        return _pk_attname_of(self.model)

    def associated_data(self, instance: models.Model, version: int = VERSION) -> bytes:
        """``<app>.<model>:<field>:<pk>``: binds a value to its model, field and row (the
        pk written as format ``version`` writes it, see ``row_bytes``)."""
        pk = instance.__dict__.get(self._pk_attname)
        if pk is None:
            raise ValueError(f"{self.model._meta.label}: encrypted fields need a pk before save.")
        return self._associated_prefix + row_bytes(pk, version)

    def seal(self, value: Any, instance: models.Model) -> bytes:
        """Encrypt ``value`` for this field of ``instance``."""
        return encrypt(self.to_bytes(value), self.associated_data(instance))

    def open(self, token: bytes | memoryview, instance: models.Model) -> Any:
        """Decrypt ``token`` read from this field of ``instance``: bound to the row's pk,
        or, for a row given a new pk since its values were loaded, to the pk it had."""
        error: DecryptionError | None = None
        version = _version_of(token)
        for associated in self._associated_candidates(instance, version):
            try:
                return self.from_bytes(decrypt(token, associated))
            except DecryptionError as failed:
                error = failed
        raise DecryptionError(
            f"Cannot decrypt {self.model._meta.label}.{self.name} of row {instance.pk}: {error}"
        ) from None

    def _associated_candidates(self, instance: models.Model, version: int) -> Iterator[bytes]:
        if instance.__dict__.get(self._pk_attname) is not None or not moved_since_sealed(instance):
            # raises without a pk: nothing to bind to
            yield self.associated_data(instance, version)
        if moved_since_sealed(instance):
            yield self._associated_prefix + row_bytes(instance.__dict__[_SEALED_PK], version)

    def to_python(self, value: Any) -> Any:
        return value

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        data = model_instance.__dict__
        value = data.get(self.attname)
        if value is None:
            return value
        if is_sealed(value):
            if not moved_since_sealed(model_instance):
                return value  # still bound to this row: keep the stored ciphertext
            value = getattr(model_instance, self.attname)  # opened under the old pk
        return self.seal(value, model_instance)

    def get_prep_value(self, value: Any) -> Any:
        if self.record:
            raise FieldError(
                f"{self.model._meta.label}.{self.name} is sealed inside the encrypted record "
                f"'{self.record}': write it with save() on instances."
            )
        if value is None or value.__class__ is bytes:
            return value
        if value.__class__ is memoryview:
            return bytes(value)
        raise FieldError(
            f"{self.model._meta.label}.{self.name} is encrypted: write it with save() or "
            "bulk_update() on instances, not with update() or lookups."
        )

    def get_lookup(self, lookup_name: str) -> type[Lookup[Any]] | None:
        if lookup_name == "isnull" and not self.record:
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self.model._meta.label}.{self.name} is encrypted and cannot be searched with "
            f"'{lookup_name}'. Search through its blind index instead."
        )

    def get_transform(self, lookup_name: str) -> type[Transform] | None:
        raise FieldError(f"{self.model._meta.label}.{self.name} is encrypted.")

    def get_col(self, alias: str, output_field: _Field | None = None) -> Col:
        if self.record:
            raise FieldError(
                f"{self.model._meta.label}.{self.name} is sealed inside the encrypted record "
                f"'{self.record}': it cannot be selected, ordered or filtered in SQL. "
                "Search through its blind index instead."
            )
        return super().get_col(alias, output_field)

    def value_to_string(self, obj: models.Model) -> str:
        # Serialisers (dumpdata) get a redaction, never the plaintext.
        return "[encrypted]"

    def formfield(self, **kwargs: Any) -> forms.Field | None:  # type: ignore[override]
        defaults: dict[str, Any] = {"max_length": self.plain_max_length}
        if not self.choices:
            defaults["widget"] = forms.TextInput
        defaults.update(kwargs)
        return super().formfield(**defaults)


class EncryptedTextField(EncryptedField):
    """An encrypted string (use ``max_length`` to limit the plaintext)."""

    def to_json(self, value: Any) -> str:
        return str(value)


class EncryptedDateField(EncryptedField):
    """An encrypted ``datetime.date``."""

    def to_bytes(self, value: date | str) -> bytes:
        if isinstance(value, str):
            value = date.fromisoformat(value)
        return value.isoformat().encode("ascii")

    def from_bytes(self, raw: bytes) -> date:
        return date.fromisoformat(raw.decode("ascii"))

    def to_json(self, value: date | str) -> str:
        return (date.fromisoformat(value) if isinstance(value, str) else value).isoformat()

    def from_json(self, value: str) -> date:
        return date.fromisoformat(value)

    def formfield(self, **kwargs: Any) -> forms.Field | None:  # type: ignore[override]
        return models.Field.formfield(self, form_class=forms.DateField, **kwargs)


class EncryptedJSONField(EncryptedField):
    """Encrypted JSON: dicts, lists, numbers, strings, booleans keep their types."""

    def to_bytes(self, value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def from_bytes(self, raw: bytes) -> Any:
        return json.loads(raw)

    def to_json(self, value: Any) -> Any:
        return value

    def formfield(self, **kwargs: Any) -> forms.Field | None:  # type: ignore[override]
        return models.Field.formfield(self, form_class=forms.JSONField, **kwargs)


_JSON = json.JSONDecoder()  # decode(str) skips json.loads's checks for bytes and options

# --- the compact record form ----------------------------------------------------------
#
# Decoding a record's JSON cost four times its AES-GCM decryption, so records of text
# values are sealed in a compact form instead (records holding other types stay JSON):
#
#     1 (format byte) | key list length (2 bytes, little-endian) | key list | values
#
# The key list is the record's keys in order (the members' declared order, then any keys
# of members the model no longer declares, which are kept), UTF-8, separated by byte 0xFF;
# the values follow the same way, with a lone 0xFE byte standing for None ("" is nothing
# between two separators). 0xFF and 0xFE never occur in UTF-8, so the values need no
# escaping, and decoding them with "surrogateescape" turns the separators into lone
# surrogates no stored text can contain: one decode and one split, both in C. A JSON
# record starts with "{", so old rows still open.
COMPACT_RECORD = b"\x01"
_SEPARATOR, _NONE = b"\xff", b"\xfe"
_SPLIT, _NONE_TEXT = "\udcff", "\udcfe"  # the same bytes after decoding
_KEY_LIST_MAX = 0xFFFF


class KeyList(NamedTuple):
    """A compact record's key list, read once per distinct list."""

    prefix: bytes  # the format byte, the list's length and the list, as stored
    keys: tuple[str, ...]


_key_lists: dict[bytes, KeyList] = {}  # by prefix
_last_key_list = [KeyList(b"\x00", ())]  # the usual case: every row has the same key list


def encode_compact_record(record: Mapping[str, Any]) -> bytes | None:
    """The compact form of ``record`` ({key: text or None}), or None if a value is not
    text (a date or JSON member): such records are sealed as JSON."""
    values: list[bytes] = []
    for value in record.values():
        if value is None:
            values.append(_NONE)
        elif value.__class__ is str:  # not a subclass (SafeString): those stay JSON
            values.append(value.encode("utf-8"))
        else:
            return None
    key_list = _SEPARATOR.join(str(key).encode("utf-8") for key in record)
    if len(key_list) > _KEY_LIST_MAX or not record:
        return None
    return COMPACT_RECORD + len(key_list).to_bytes(2, "little") + key_list + _SEPARATOR.join(values)


def decode_compact_record(raw: bytes) -> dict[str, str | None]:
    """The record dict sealed by ``encode_compact_record``."""
    key_list = _last_key_list[0]
    if not raw.startswith(key_list.prefix):
        key_list = _read_key_list(raw)
    values: list[str | None]
    values = raw[len(key_list.prefix) :].decode("utf-8", "surrogateescape").split(_SPLIT)  # type: ignore[assignment]
    if _NONE_TEXT in values:
        values = [None if value == _NONE_TEXT else value for value in values]
    # strict: a count that differs is an error
    return dict(zip(key_list.keys, values, strict=True))


def _read_key_list(raw: bytes) -> KeyList:
    prefix = raw[: 3 + int.from_bytes(raw[1:3], "little")]
    found = _key_lists.get(prefix)
    if found is None:
        keys = tuple(key.decode("utf-8") for key in prefix[3:].split(_SEPARATOR))
        found = _key_lists[prefix] = KeyList(prefix, keys)
    _last_key_list[0] = found
    return found


class _RecordAttribute(_EncryptedAttribute):
    """The record's own attribute: decrypts to a dict {member name: JSON value}.

    After a bulk read's fast path it holds the members' values as a list, in member
    order (``EncryptedRecordField._open_fresh``); the first read of the attribute turns
    the list into that dict. A list is never a record's value otherwise.

    Replacing the stored value (``refresh_from_db``, or assigning a new record) drops
    the members' values already read from the old one, so they are read again; setting
    the same value again (``full_clean`` does) keeps them.
    """

    field: EncryptedRecordField

    def __get__(self, instance: models.Model | None, owner: type | None = None) -> Any:
        if instance is not None:
            data = instance.__dict__
            values: Any = data.get(self.attname)
            if values.__class__ is list:  # opened by the fast path: the members' values
                names = self.field.member_attnames
                record = data[self.attname] = dict(zip(names, values, strict=True))
                return record
        return super().__get__(instance, owner)

    def __set__(self, instance: models.Model, value: object) -> None:
        data = instance.__dict__
        if self.attname in data and data[self.attname] is not value:
            for attname in self.field.member_attnames:
                data.pop(attname, None)
        if (value.__class__ is bytes or value.__class__ is memoryview) and _SEALED_PK not in data:
            data[_SEALED_PK] = data.get(self.pk_attname)  # remember_sealed_pk, inlined: per row
        data[self.attname] = value


class _MemberAttribute:
    """A member's attribute (a non-data descriptor: reads after the first are plain
    attribute reads). The first read opens the record and fills in every member not
    already set, so a row costs one decryption however many members are read."""

    def __init__(self, field: EncryptedField) -> None:
        self.field = field
        self.attname = field.attname

    def __get__(self, instance: models.Model | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        record = self.field.record_field
        assert record is not None  # only members have this attribute
        record.open_members(instance)
        return instance.__dict__[self.attname]


class MemberPlan(NamedTuple):
    """How a record's member is read from the stored record, looked up once."""

    attname: str
    key: str  # its key in the record: the member's name
    from_json: Callable[[Any], Any] | None  # None: stored as it is (text)
    field: EncryptedField


@dataclass(frozen=True, slots=True)  # slots: the fastest attribute reads, several per row
class FreshRecord:
    """The facts about one record field that ``EncryptedRecordField._open_fresh`` reads
    for every row, looked up once."""

    prefix: bytes  # what every record written by this code starts with (format, key list)
    members: tuple[str, ...]  # the members' attribute names, in declared order
    member_set: frozenset[str]  # the same, as a set: a row with any of them set is not fresh
    associated_prefix: bytes  # the associated data's model and field part
    pk_attname: str


class EncryptedRecordField(EncryptedField):
    """One encrypted column holding the values of several member fields of a row.

    Declare the column (``sealed = EncryptedRecordField()``) and its members with
    ``record="sealed"``. The stored plaintext is a JSON object keyed by member name; the
    Python value of the record itself is that dict (members are what code should use).
    Saving re-seals the record only when a member was read or set; a row whose members
    were never touched keeps its stored ciphertext. Keys of members a model no longer
    declares are kept, so removing a field from the code loses no stored data.
    """

    descriptor_class = _RecordAttribute

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def get_default(self) -> None:
        return None  # no record yet: members start from their own defaults

    @cached_property
    def members(self) -> list[EncryptedField]:
        return [
            f
            for f in self.model._meta.private_fields
            if isinstance(f, EncryptedField) and f.record == self.name
        ]

    @cached_property
    def member_attnames(self) -> list[str]:
        return [f.attname for f in self.members]

    @cached_property
    def _plan(self) -> list[MemberPlan]:
        return [MemberPlan(f.attname, f.name, f.from_json, f) for f in self.members]

    @cached_property
    def _plain_keys(self) -> frozenset[str] | None:
        """The members' names if every member is stored as it is (text) and its name is its
        attribute name, else None: then a whole stored record can be copied in one step."""
        if all(f.from_json is None and f.attname == f.name for f in self.members):
            return frozenset(self.member_attnames)
        return None

    def to_bytes(self, value: Mapping[str, Any]) -> bytes:
        compact = encode_compact_record(value)
        if compact is not None:
            return compact
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def from_bytes(self, raw: bytes) -> dict[str, Any]:
        if raw[:1] == COMPACT_RECORD:
            return decode_compact_record(raw)
        record: dict[str, Any] = _JSON.decode(raw.decode("utf-8"))  # sealed before the compact form
        return record

    @cached_property
    def _fresh_prefix(self) -> bytes | None:
        """The compact record's prefix (format, key list) when its keys are exactly the
        members, in their declared order: what every row written by this code starts with."""
        if self._plain_keys is None:
            return None
        prefix = encode_compact_record(dict.fromkeys(self.member_attnames, ""))
        return None if prefix is None else prefix[: 3 + int.from_bytes(prefix[1:3], "little")]

    def open_members(self, instance: models.Model) -> None:
        """Set every member of ``instance`` not set yet from the stored record (decrypting
        it once) or, for a member the record lacks, from the member's default."""
        data = instance.__dict__
        token: Any = data.get(self.attname)
        if token.__class__ is bytes and self._open_fresh(instance, data, token):
            return
        stored = getattr(instance, self.attname) or {}
        # The usual case, a row just read: nothing set yet and the record has every member.
        keys = self._plain_keys
        if keys is not None and stored.keys() == keys and keys.isdisjoint(data):
            data.update(stored)
            return
        for attname, key, from_json, field in self._plan:
            if attname in data:
                continue
            if key in stored:
                value = stored[key]
                data[attname] = value if from_json is None else from_json(value)
            else:
                data[attname] = field.get_default()

    def _open_fresh(self, instance: models.Model, data: dict[str, Any], token: bytes) -> bool:
        """The usual case of a bulk read in one step, True when done: a row just read
        (no member set yet) whose record holds exactly the members, as text, none None.

        Per row this is one AES-GCM decryption, one decode and one split, without the
        descriptor and dictionary checks of the general path (they cost as much as the
        decryption). The record's own attribute then holds the values as a list, in
        member order, until something asks for the record (``_RecordAttribute``): most
        reads never do, and building that dictionary cost as much as the split. The
        associated data and the read scope are the same as in the general path; a value
        that fails to decrypt goes to ``open``, which raises naming model, field and
        row, or opens a copied row under the pk it was sealed for.
        """
        fresh = self._fresh
        if fresh is None or not fresh.member_set.isdisjoint(data):
            return False
        pk = data.get(fresh.pk_attname)
        if pk is None:
            return False  # the general path raises, or opens a copy under its old pk
        scope = _read_scope.get()
        if scope is None or scope.customers is not None or _read_watchers:
            reads.opening(instance, self)
        try:
            plain = _decrypt(token, fresh.associated_prefix + row_bytes(pk, token[0]))
        except (LookupError, InvalidTag, ValueError):
            data[self.attname] = self.open(token, instance)
            return False
        if plain.startswith(fresh.prefix):
            body = plain[len(fresh.prefix) :]
            if _NONE not in body:  # a None member takes the general path
                values = body.decode("utf-8", "surrogateescape").split(_SPLIT)
                if len(values) == len(fresh.members):
                    data.update(zip(fresh.members, values, strict=True))
                    data[self.attname] = values
                    return True
        data[self.attname] = self.from_bytes(plain)
        return False

    @cached_property
    def _fresh(self) -> FreshRecord | None:
        """What ``_open_fresh`` needs, looked up once (``FreshRecord``); None when the fast
        path cannot apply (a member stored as another type than text, or under a name
        other than its attribute's)."""
        prefix, member_set = self._fresh_prefix, self._plain_keys
        if prefix is None or member_set is None:
            return None
        return FreshRecord(
            prefix=prefix,
            members=tuple(self.member_attnames),
            member_set=member_set,
            associated_prefix=self._associated_prefix,
            pk_attname=self._pk_attname,
        )

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        data = model_instance.__dict__
        token = data.get(self.attname)
        untouched = not any(a in data for a in self.member_attnames)
        if is_sealed(token) and untouched and not moved_since_sealed(model_instance):
            return token  # nothing read or changed: keep the stored ciphertext
        # Members merged in only to re-seal the record stay sealed afterwards: the save is
        # not a read, so reading them later is one (vault.reads).
        merged = [a for a in self.member_attnames if a not in data] if is_sealed(token) else []
        with reads.bulk_read("save"):
            self.open_members(model_instance)
            record = dict(getattr(model_instance, self.attname) or {})
        for member in self.members:
            value = data[member.attname]
            if value is not None and member.to_json is not None:
                value = member.to_json(value)
            record[member.name] = value
        sealed = self.seal(record, model_instance)
        for attname in merged:
            del data[attname]
        data[self.attname] = sealed if merged else record
        return sealed


def record_columns(model: type[models.Model], names: Iterable[str]) -> list[str]:
    """``names`` with each record member replaced by its record's column (order kept):
    for ``only()``, ``defer()`` and ``save(update_fields=...)``."""
    columns: list[str] = []
    for name in names:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            column = name  # a relation path such as "customer__name": Django checks it
        else:
            column = getattr(field, "record", None) or name
        if column not in columns:
            columns.append(column)
    return columns


class RecordQuerySet(models.QuerySet[_M]):
    """QuerySet for models with an EncryptedRecordField: ``only()`` and ``defer()`` accept
    member names and load or defer their record (Django would silently ignore a field
    without a column, and each row would then fetch its record with one more query)."""

    def only(self, *fields: str) -> Self:
        return super().only(*record_columns(self.model, fields))

    def defer(self, *fields: str | None) -> Self:
        if fields == (None,):
            return super().defer(None)
        names = cast("tuple[str, ...]", fields)  # None comes alone, as above
        return super().defer(*record_columns(self.model, names))


def encrypted_fields(model: type[models.Model]) -> list[EncryptedField]:
    """The encrypted columns of ``model`` (records included, their members not)."""
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]


def encrypted_values(model: type[models.Model]) -> list[EncryptedField]:
    """The encrypted fields of ``model`` that each hold one value a person can type:
    columns of their own and record members (records themselves are not)."""
    return [
        f
        for f in model._meta.fields
        if isinstance(f, EncryptedField) and not isinstance(f, EncryptedRecordField)
    ]


# --- databases written before the binary format -------------------------------------

LEGACY_PREFIX = "gcm1:"


def from_legacy(text: str) -> bytes:
    """``gcm1:<key id>:<base64url(nonce || ciphertext || tag)>`` as the binary format.

    Only the framing changes: the ciphertext, nonce and key id stay as they were, so
    nothing is decrypted and the associated data still matches (format version 1: those
    values bound the pk as text).
    """
    _, key_id, body = text.split(":", 2)
    return _header(key_id, TEXT_PK_VERSION) + base64.urlsafe_b64decode(body)


def binary_columns_for(app_label: str) -> Callable[[Apps, BaseDatabaseSchemaEditor], None]:
    """A migration step (for RunPython) giving ``app_label``'s encrypted columns the binary
    format in databases created before it: on PostgreSQL text columns become bytea, and
    every ``gcm1:`` text value is rewritten as bytes. New databases have nothing to do."""

    def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        for model in apps.get_app_config(app_label).get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, EncryptedField):
                    _binary_column(schema_editor, model, field)

    return forwards


def _binary_column(
    schema_editor: BaseDatabaseSchemaEditor, model: type[models.Model], field: EncryptedField
) -> None:
    connection, quote = schema_editor.connection, schema_editor.quote_name
    pk = model._meta.pk
    assert pk is not None and field.column is not None  # a migrated model's columns
    table, column = model._meta.db_table, field.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s AND column_name = %s",
                [table, column],
            )
            if cursor.fetchone()[0] != "bytea":
                cursor.execute(
                    f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} "
                    f"TYPE bytea USING convert_to({quote(column)}, 'UTF8')"
                )
        cursor.execute(f"SELECT {quote(pk.column)}, {quote(column)} FROM {quote(table)}")  # noqa: S608
        legacy = []
        for key, value in cursor.fetchall():
            text = value if isinstance(value, str) else bytes(value or b"").decode("latin-1")
            if text.startswith(LEGACY_PREFIX):
                legacy.append((from_legacy(text), key))
        update = f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE {quote(pk.column)} = %s"  # noqa: S608
        cursor.executemany(update, legacy)
