"""Key rotation: re-encrypt every encrypted column under the newest field key, and rebuild
the blind indexes under the current ``BLIND_INDEX_KEY``.

Rows are processed in primary-key order, in batches, each batch in its own transaction, so
an interruption loses at most the batch under way. Values already under the current key
are skipped, so running again simply continues where the last run stopped.
"""

from collections import Counter

from django.apps import apps
from django.db import transaction
from django.db.models import Value

from vault.encryption import VERSION as FORMAT_VERSION
from vault.encryption import current_key_id, encrypted_fields, key_id_of
from vault.reads import bulk_read

# 500 rows per UPDATE keeps each transaction short (well under a second) and below
# SQLite's and PostgreSQL's parameter limits for bulk_update's CASE statements.
DEFAULT_BATCH_SIZE = 500
BLIND_INDEX_FIELDS = ("email_index", "phone_index", "name_index", "name_kana_index")


def encrypted_models():
    """Every installed model with at least one encrypted field, in a stable order."""
    found = [m for m in apps.get_models() if encrypted_fields(m)]
    return sorted(found, key=lambda m: m._meta.label)


def blind_indexed_models():
    """Every installed model that keeps blind indexes (has ``refresh_blind_indexes``)."""
    found = [m for m in apps.get_models() if callable(getattr(m, "refresh_blind_indexes", None))]
    return sorted(found, key=lambda m: m._meta.label)


def _each_batch(model, field_names, batch_size, work):
    """Call ``work(rows)`` for each batch of rows in pk order, each batch in a transaction.

    Rows are locked for the batch (select_for_update) so a concurrent save cannot slip in
    between reading a value and writing it back.
    """
    last_pk = None
    while True:
        with transaction.atomic():
            query = model._base_manager.select_for_update().only("pk", *field_names)
            if last_pk is not None:
                query = query.filter(pk__gt=last_pk)
            rows = list(query.order_by("pk")[:batch_size])
            if not rows:
                return
            work(rows)
        last_pk = rows[-1].pk


def key_counts(model):
    """{key id: number of stored values} over every encrypted column of ``model``."""
    names = [f.attname for f in encrypted_fields(model)]
    counts = Counter()
    for row in model._base_manager.values_list(*names).iterator(chunk_size=2000):
        counts.update(key_id_of(value) for value in row if value is not None)
    return dict(counts)


def _reseal(row, fields, current):
    """Re-encrypt the values of ``row`` not under ``current`` or not in the current format
    version; return the changed fields."""
    changed = []
    for field in fields:
        token = row.__dict__.get(field.attname)
        if token is None or (key_id_of(token) == current and token[0] == FORMAT_VERSION):
            continue
        plain = field.open(token, row)
        # bulk_update reads attributes through the decrypting descriptor; an expression is
        # passed through untouched, so the new ciphertext is written as it is.
        row.__dict__[field.attname] = Value(field.seal(plain, row), output_field=field)
        changed.append(field)
    return changed


def rotate_model(model, batch_size=DEFAULT_BATCH_SIZE):
    """Re-encrypt ``model``'s values not under the current key; return how many were."""
    fields = encrypted_fields(model)
    current = current_key_id()
    rewritten = 0

    def work(rows):
        nonlocal rewritten
        touched, names = [], set()
        for row in rows:
            changed = _reseal(row, fields, current)
            if changed:
                touched.append(row)
                names.update(f.name for f in changed)
                rewritten += len(changed)
        if touched:
            model._base_manager.bulk_update(touched, sorted(names))

    with bulk_read("rotate_keys"):  # every value is decrypted to be sealed again
        _each_batch(model, [f.attname for f in fields], batch_size, work)
    return rewritten


def rebuild_blind_indexes(model, batch_size=DEFAULT_BATCH_SIZE):
    """Recompute every blind index of ``model`` under the current key; return the row count."""
    index_fields = [f for f in BLIND_INDEX_FIELDS if hasattr(model, f)]
    done = 0

    def work(rows):
        nonlocal done
        for row in rows:
            row.refresh_blind_indexes()
        model._base_manager.bulk_update(rows, index_fields)
        done += len(rows)

    with bulk_read("rotate_keys"):  # every indexed value is decrypted to be digested
        _each_batch(model, [f.attname for f in encrypted_fields(model)], batch_size, work)
    return done
