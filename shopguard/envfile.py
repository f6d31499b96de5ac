"""Write a local ``.env`` with fresh keys, unless one already exists.

Run by ``make run`` before anything touches Django, so it imports nothing from it. The
file is created with mode 0600 because it holds every key that unlocks customer data.
"""

import os
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vault.keys import new_field_key, new_raw_key  # noqa: E402


def local_env_text():
    """The .env of a one-machine demo: HTTP on loopback, two-factor off, fresh keys."""
    return "\n".join(
        [
            "# ShopGuard local settings, written by `make run`. Keep this file private.",
            "DEBUG=0",
            "SHOPGUARD_HTTPS=0",
            "SHOPGUARD_REQUIRE_2FA=0",
            "ALLOWED_HOSTS=127.0.0.1,localhost",
            f"SECRET_KEY={secrets.token_urlsafe(50)}",
            f"FIELD_ENCRYPTION_KEYS={new_field_key()}",
            f"BLIND_INDEX_KEY={new_raw_key()}",
            f"AUDIT_CHAIN_KEY={new_raw_key()}",
            f"AUDIT_SIGNING_KEY={new_raw_key()}",
            f"DEMO_PASSWORD=demo-{secrets.token_urlsafe(9)}",
            "",
        ]
    )


def write_env(path):
    """Create ``path`` with fresh keys and mode 0600; return False if it already exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(local_env_text())
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
    if write_env(target):
        print(f"Wrote {target} with fresh keys (mode 0600).")
    else:
        print(f"Keeping the existing {target}.")
