"""Re-authentication for dangerous actions (export, approval, role change, deletion,
policy publication): the password must have been given within the last 10 minutes."""

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


def require_recent_auth(view):
    """Decorator: send the person to confirm their password first, then come back."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if recently_reauthenticated(request):
            return view(request, *args, **kwargs)
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('reauth')}?{query}")

    return wrapper
