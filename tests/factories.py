"""The one shared set of named people for every test.

alice is the owner, bob the manager, carol staff, dave the auditor, erin an outsider
with an account but no role, and frank a deactivated staff member.

``client.force_login(person)`` stands for a finished two-factor sign-in (tests/conftest.py
makes it so with ``confirm_second_factor``); ``sign_in_without_second_factor`` makes the
session any other login path would, which the admin refuses while two-factor is required.
"""

from types import SimpleNamespace

import django_otp
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice

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


def make_person(username, role, password=PASSWORD, active=True):
    """Create a user with exactly ``role`` (or none) and the shared test password."""
    user = get_user_model().objects.create_user(username=username, password=password)
    user.is_active = active
    user.save(update_fields=["is_active"])
    set_role(user, role)
    return user


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


# The real Client.force_login, before tests/conftest.py makes it confirm a second factor.
_real_force_login = Client.force_login
TEST_DEVICE_NAME = "test sign-in"


def confirm_second_factor(client, user):
    """Mark ``client``'s session as the sign-in's second step does (accounts.signin):
    the flag, and a confirmed device django-otp verifies. The device has no codes, so it
    never makes re-authentication ask for one."""
    from accounts.signin import SECOND_FACTOR_KEY

    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=TEST_DEVICE_NAME, defaults={"confirmed": True}
    )
    request = HttpRequest()
    request.session = client.session
    request.user = user
    django_otp.login(request, device)
    request.session[SECOND_FACTOR_KEY] = True
    request.session.save()


def sign_in_without_second_factor(client, user, backend=None):
    """A session signed in by some other path: authenticated, with no second-factor flag."""
    _real_force_login(client, user, backend)
