"""Re-authentication for dangerous actions (export, approval, download of an export,
deletion or anonymisation of a customer, policy publication, and every account-security
action: creating a person, role change, deactivation, setting a password, resetting a
second factor, renewing recovery codes): the password, and the second factor for people
who have one, given within the last 10 minutes.

Views use ``@require_recent_auth`` (or check ``recently_reauthenticated(request)`` and
return ``reauth_redirect(request)``); the form itself is ``accounts.views.reauth``. After
a password change or a second-factor reset the confirmation is spent
(``forget_reauthentication``): it was given with the old credentials.
"""

import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

SESSION_KEY = "reauthenticated_at"


def mark_reauthenticated(request):
    """Record on the session that the person has just confirmed their password."""
    request.session[SESSION_KEY] = time.time()


def forget_reauthentication(request):
    """Spend the confirmation: the next dangerous action asks for it again."""
    request.session.pop(SESSION_KEY, None)


def recently_reauthenticated(request):
    """True when the password was confirmed within SHOPGUARD_REAUTH_SECONDS."""
    stamp = request.session.get(SESSION_KEY)
    return stamp is not None and time.time() - stamp <= settings.SHOPGUARD_REAUTH_SECONDS


def reauth_redirect(request):
    """Send the person to confirm their password, then back to this page."""
    query = urlencode({"next": request.get_full_path()})
    return redirect(f"{reverse('reauth')}?{query}")


def require_recent_auth(view):
    """Decorator: send the person to confirm their password first, then come back."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if recently_reauthenticated(request):
            return view(request, *args, **kwargs)
        return reauth_redirect(request)

    return wrapper
