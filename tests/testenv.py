"""Test-run environment: fresh throwaway keys, no .env, HTTPS assumed off for the client.

Loaded as a pytest plugin (``-p tests.testenv`` in pyproject.toml) so it runs before
pytest-django imports the settings; tests never depend on a developer's local .env.
"""

import os

from vault.keys import new_field_key, new_raw_key

os.environ["SHOPGUARD_ENV_FILE"] = os.devnull
os.environ.setdefault("SECRET_KEY", new_raw_key() + new_raw_key())
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", new_field_key())
os.environ.setdefault("BLIND_INDEX_KEY", new_raw_key())
os.environ.setdefault("AUDIT_CHAIN_KEY", new_raw_key())
os.environ.setdefault("AUDIT_SIGNING_KEY", new_raw_key())
os.environ.setdefault("SHOPGUARD_HTTPS", "0")
os.environ.setdefault("DEBUG", "0")
# Under tests an unrecorded decryption is an error, as with DEBUG (vault/reads.py).
os.environ.setdefault("SHOPGUARD_UNRECORDED_READS", "raise")
