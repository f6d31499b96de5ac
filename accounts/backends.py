"""The password check behind a limit: each guess is counted before its hash is checked."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from audit.ledger import client_ip
from vault import limits
from vault.typed_names import kept_name


class LimitedModelBackend(ModelBackend):
    """Django's ModelBackend behind ``limits.PASSWORD_GUESSES`` per typed username and
    address (sign-in and re-authentication alike); an unknown name counts under its keyed
    tag, so the limit's table never holds what was typed.

    The guess reserves its slot in a committed transaction before the hash is checked,
    so of many parallel guesses only the limit's number are ever checked; a guess whose
    slot cannot be written fails before any check. A right password frees the slots.
    django-axes (first in AUTHENTICATION_BACKENDS) keeps its records and lockout page: a
    guess refused here is flagged as locked out, so axes answers it with that page.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        key = (client_ip(request), kept_name(username))
        if not limits.PASSWORD_GUESSES.reserve(key):
            if request is not None:
                request.axes_locked_out = True
            raise PermissionDenied
        user = super().authenticate(request, username, password, **kwargs)
        if user is not None:
            limits.PASSWORD_GUESSES.clear(key)
        return user
