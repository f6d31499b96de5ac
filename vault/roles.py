"""The four roles of the shop's people, by name.

Roles are Django groups named exactly ``owner``, ``manager``, ``staff`` and ``auditor``
(a fixed interface: other tools rely on the names). The names, their labels and a
person's role live here because the ledger records each actor's role and every app
shows it; what each role may do is the accounts app's table (``accounts.roles``), and
apps ask for a permission (``user.has_perm``), never for a role by name.
"""

from typing import Any, cast

from django.utils.translation import gettext_lazy as _

OWNER, MANAGER, STAFF, AUDITOR = "owner", "manager", "staff", "auditor"
ROLES = (OWNER, MANAGER, STAFF, AUDITOR)
# One word per role, everywhere a role is shown (docs/glossary.md).
ROLE_LABELS = {
    OWNER: _("オーナー"),
    MANAGER: _("マネージャー"),
    STAFF: _("スタッフ"),
    AUDITOR: _("監査担当"),
}


def role_of(user: Any) -> str | None:
    """Return the role name of an active user, or None (anonymous, inactive, no role)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    cached = getattr(user, "_shopguard_role", False)
    if cached is not False:
        return cast("str | None", cached)  # what this function kept below
    names = set(user.groups.values_list("name", flat=True))
    role = next((r for r in ROLES if r in names), None)
    user._shopguard_role = role
    return role


def holds_a_role(user: Any) -> bool:
    """True for an active person who holds one of the roles: one of the shop's people,
    who may enter the back office (the admin site still asks for their second factor)."""
    return role_of(user) is not None


def is_role(name: str) -> bool:
    """True when ``name`` is one of the four role names."""
    return name in ROLES
