"""The password check behind ShopGuard's one limit on sign-in failures: each guess is
counted before its hash is checked, and the name is locked out once the guesses are
used up."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from audit.actions import Action, Outcome
from audit.ledger import record
from vault import limits
from vault.addresses import client_address
from vault.typed_names import kept_name

# Set on a request whose password guess met the lockout: its view answers with the
# lockout page (accounts.signin.lockout_page) instead of the form.
LOCKED_OUT = "shopguard_locked_out"


class LimitedModelBackend(ModelBackend):
    """Django's ModelBackend behind ``limits.PASSWORD_GUESSES`` per typed username and
    address (sign-in and re-authentication alike); an unknown name counts under its keyed
    tag, so the limit's table never holds what was typed.

    The guess reserves its slot in a committed transaction before the hash is checked,
    so of many parallel guesses only the limit's number are ever checked; a guess whose
    slot cannot be written fails before any check. A right password frees the slots.
    The wrong guess that uses the last slot locks the name, and every guess refused for
    want of a slot meets the lock: each writes ``auth.lockout`` and marks the request
    (``LOCKED_OUT``); Django then records the failure itself (``auth.sign_in_failed``).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        key = (client_address(request), kept_name(username))
        if not limits.PASSWORD_GUESSES.reserve(key):
            locked_out(request, key)
            raise PermissionDenied
        user = super().authenticate(request, username, password, **kwargs)
        if user is not None:
            limits.PASSWORD_GUESSES.clear(key)
        elif limits.PASSWORD_GUESSES.left(key) == 0:
            locked_out(request, key)  # that was the last guess allowed
        return user


def locked_out(request, key):
    """Record that ``key`` (address, kept name) is locked out and mark the request."""
    record(
        Action.LOCKOUT,
        request=request,
        outcome=Outcome.REFUSED,
        username=key[1],
        detail={"reason": "lockout"},
    )
    if request is not None:
        setattr(request, LOCKED_OUT, True)


def is_locked_out(request):
    """Whether a password guess of this request met the lockout."""
    return getattr(request, LOCKED_OUT, False)
