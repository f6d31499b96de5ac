"""Re-authentication for dangerous actions (export, approval, download of an export,
role change, deletion or anonymisation of a customer, policy publication): the password,
and the second factor for people who have one, given within the last 10 minutes.

Views use ``@require_recent_auth`` (or check ``recently_reauthenticated(request)`` and
return ``reauth_redirect(request)``); the form itself is ``shopguard.views.reauth``.
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
