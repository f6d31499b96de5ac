"""Tests look at stored values to check them: reads no person makes, outside the reading
path (vault.reads raises on those under tests)."""

from contextlib import contextmanager

from vault import reads


@contextmanager
def checking():
    """Decrypt anything inside the block, as a test's own assertions do."""
    with reads._entered(reads._Scope("test")):
        yield


def opened(obj):
    """``obj`` with every encrypted value decrypted, for a test to compare."""
    from vault.encryption import EncryptedField

    with checking():
        for field in obj._meta.fields:
            if isinstance(field, EncryptedField):
                getattr(obj, field.attname)
    return obj
