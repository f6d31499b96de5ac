"""The one shared set of named people for every test.

alice is the owner, bob the manager, carol staff, dave the auditor, erin an outsider
with an account but no role, and frank a deactivated staff member.

Signing them in: tests/signing.py (``signed_in``, and the ``client`` fixture's
``force_login``, stand for a finished two-factor sign-in).
"""

from types import SimpleNamespace

from django.contrib.auth import get_user_model

from accounts.roles import set_role
from vault.roles import AUDITOR, MANAGER, OWNER, STAFF

PASSWORD = "correct horse battery staple"
PEOPLE = {
    "alice": OWNER,
    "bob": MANAGER,
    "carol": STAFF,
    "dave": AUDITOR,
    "erin": None,
    "frank": STAFF,
}


def make_person(username, role, password=PASSWORD, active=True, accepted_rules=True):
    """Create a user with exactly ``role`` (or none) and the shared test password, who
    has accepted the house rules in force (``accepted_rules=False``: not yet, so the
    customer pages show the rules first, policy.rules)."""
    user = get_user_model().objects.create_user(username=username, password=password)
    user.is_active = active
    user.save(update_fields=["is_active"])
    set_role(user, role)
    if accepted_rules:
        accept_house_rules(user)
    return user


def accept_house_rules(user):
    """Record that ``user`` accepted the house rules in force, as test set-up: the row
    (recorded as a plain ``model.create``), not the person's own ``rules.accept`` act, so
    a test of someone's ledger entries sees only what the test made them do."""
    from policy.models import HouseRulesVersion, RulesAcceptance

    version = HouseRulesVersion.objects.in_force()
    if version is not None:
        RulesAcceptance.objects.create(person=user, version=version)


def make_people():
    """Create the whole cast and return it as attributes (people.alice, ...)."""
    cast = {name: make_person(name, role) for name, role in PEOPLE.items()}
    cast["frank"].is_active = False
    cast["frank"].save(update_fields=["is_active"])
    return SimpleNamespace(**cast)


def ledger_mark():
    """The sequence number of the newest ledger entry (0 when empty)."""
    from audit.models import AuditEntry

    last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    return last or 0


def entries_after(mark):
    """Ledger entries written after ``ledger_mark()`` returned ``mark``."""
    from audit.models import AuditEntry

    return AuditEntry.objects.filter(seq__gt=mark)
