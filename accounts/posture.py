"""Facts about the shop's people for the home page's checklist: who has two-factor
sign-in and who can reveal personal values. Counts and usernames only."""

from django.db.models import Exists, OuterRef
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import people_with_a_role, roles_granting, with_role

REVEAL_PERMISSION = "customers.reveal_customer"


def people_with_access():
    """Active people who hold a role, each marked with ``has_authenticator`` (a confirmed
    authenticator app: the second factor sign-in asks for)."""
    confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return people_with_a_role().annotate(has_authenticator=Exists(confirmed))


def two_factor_coverage():
    """``(with two-factor, all people with access, usernames without it)``."""
    people = list(people_with_access().values_list("username", "has_authenticator"))
    missing = sorted(name for name, covered in people if not covered)
    return len(people) - len(missing), len(people), missing


def revealers_by_role():
    """``{role: active people}`` for each role that may reveal a personal value, and how
    many of them have no two-factor sign-in."""
    roles = roles_granting(REVEAL_PERMISSION)
    counts = dict.fromkeys(roles, 0)
    uncovered = 0
    # The pk keeps one row per person: people_with_a_role() is DISTINCT, and without it
    # two people of one role with the same second-factor state would count once.
    rows = with_role(people_with_access(), *roles).values_list(
        "pk", "groups__name", "has_authenticator"
    )
    for _pk, role, covered in rows:
        if role in counts:
            counts[role] += 1
            uncovered += not covered
    return counts, uncovered
