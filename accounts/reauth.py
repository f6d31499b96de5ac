"""Re-authentication for dangerous actions (export, approval, download of an export,
deletion or anonymisation of a customer, policy publication, and every account-security
action: creating a person, role change, deactivation, setting a password, resetting a
second factor, renewing recovery codes): the password, and the second factor for people
who have one, given within the last 10 minutes.

Views use ``@require_recent_auth`` (or check ``recently_reauthenticated(request)`` and
return ``reauth_redirect(request)``); the form itself is ``accounts.views.reauth``. A
refused button (POST) is never replayed: after the prompt the person is back on the page
the button was on, asked to press it once more (never a 405 from a GET to a POST-only
URL, and no form body waiting in the session). After
a password change or a second-factor reset the confirmation is spent
(``forget_reauthentication``): it was given with the old credentials.
"""

import time
from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

SESSION_KEY = "reauthenticated_at"

# Every view decorated with @require_recent_auth, by "module.qualname": the tests walk it
# so that a new dangerous action cannot go without its re-authentication test.
ACTIONS = {}

# Methods that only read: after the prompt the browser can simply come back to them.
SAFE_METHODS = ("GET", "HEAD")


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


def page_of_the_button(request):
    """The same-site page a POST came from (its Referer), else the POST's own URL (a
    form page shows its form on GET): the place to come back to and press the button
    again. A POST-only view names its page with ``require_recent_auth(back=...)``."""
    referer = request.headers.get("Referer", "")
    if url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure()):
        parts = urlsplit(referer)
        if parts.path and parts.path != reverse("accounts:reauth"):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.get_full_path()


def reauth_redirect(request, back=None):
    """Send the person to confirm their password, then back.

    A page (GET) is simply shown again afterwards. A button (POST) cannot be replayed by
    a redirect, and its body may hold personal data that must not wait in the session:
    the person comes back to the page the button was on (``back``, else the Referer),
    where a message asks them to press it once more (``again``)."""
    if request.method in SAFE_METHODS:
        query = {"next": request.get_full_path()}
    else:
        query = {"next": back or page_of_the_button(request), "again": "1"}
    return redirect(f"{reverse('accounts:reauth')}?{urlencode(query)}")


def request_among(args):
    """The request among a view's arguments: first for a function, second for a method."""
    return next(arg for arg in args if isinstance(arg, HttpRequest))


def require_recent_auth(view=None, *, back=None):
    """Decorator: send the person to confirm their password first, then come back.

    Works on view functions and on view methods (admin). ``back(request, *args,
    **kwargs)`` names the GET page to return to after a refused POST when the Referer
    will not do (it is itself a POST-only page, or may be missing)."""
    if view is None:
        return lambda view: require_recent_auth(view, back=back)
    name = f"{view.__module__}.{view.__qualname__}"
    ACTIONS[name] = view

    @wraps(view)
    def wrapper(*args, **kwargs):
        request = request_among(args)
        if recently_reauthenticated(request):
            return view(*args, **kwargs)
        after_request = args[args.index(request) + 1 :]
        target = back(request, *after_request, **kwargs) if back else None
        response = reauth_redirect(request, target)
        response.reauth_action = name  # lets the tests see which action asked
        return response

    return wrapper
