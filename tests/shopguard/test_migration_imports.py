"""Migrations are frozen history: they never import live project code that may change.

Only the field classes and validators their fields are built with may be named (normal
Django practice: a migration says which class a column was made with). Everything a
data migration runs is copied into the migration itself.
"""

import ast
from pathlib import Path

import pytest

from policy.models import PolicyVersion

ROOT = Path(__file__).resolve().parents[2]
PROJECT = (
    "accounts",
    "audit",
    "customers",
    "dashboard",
    "datarequests",
    "devtools",
    "exports",
    "incidents",
    "policy",
    "shopguard",
    "vault",
)
ALLOWED = {
    "audit.models.CanonicalJSONField",
    "customers.models.validate_postal_code",
    "customers.validators.refuse_card_numbers",
    "customers.validators.validate_phone",
    "vault.encryption.EncryptedRecordField",
    "vault.encryption.EncryptedTextField",
    # The cipher itself: every value it writes starts with its format version, so what an
    # old migration sealed stays readable whatever the live code becomes; it reads every
    # version it ever wrote, and says so with DecryptionError.
    "vault.encryption.DecryptionError",
    "vault.encryption.decrypt",
    "vault.encryption.encrypt",
}
# Version 1 as the seed migration published it in every database so far.
VERSION_1_HASH = "c05599dd4bfdcaa8e99c2cfc70dd8ec3ad1a14f0256b75a3312dbd95f39749d7"


def migration_files():
    for app in PROJECT:
        yield from sorted((ROOT / app / "migrations").glob("[0-9]*.py"))


def dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def project_names_used(tree):
    """Every project name a migration reaches: ``from x import y`` gives x.y, and each
    use of a module imported whole (``import vault.encryption``) gives its dotted name."""
    modules, used = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in PROJECT:
            used |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            modules |= {a.name for a in node.names if a.name.split(".")[0] in PROJECT}
    for node in ast.walk(tree):
        name = dotted(node) if isinstance(node, ast.Attribute) else None
        if name and any(name.startswith(module + ".") for module in modules):
            used.add(name)
    return used


def test_the_scan_finds_every_kind_of_import():
    tree = ast.parse("import policy.content\nfrom audit import triggers\nx = policy.content.f\n")
    assert project_names_used(tree) == {"audit.triggers", "policy.content.f"}


@pytest.mark.parametrize(
    "path", list(migration_files()), ids=lambda p: f"{p.parent.parent.name}/{p.stem}"
)
def test_migrations_name_only_field_classes_and_validators(path):
    used = project_names_used(ast.parse(path.read_text(encoding="utf-8")))
    assert not used - ALLOWED, f"{path.name} reaches live code: {sorted(used - ALLOWED)}"


def test_version_1_is_the_text_every_database_got(db):
    assert PolicyVersion.objects.get(number=1).content_hash == VERSION_1_HASH
