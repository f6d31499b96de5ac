"""Sessions of the shop's people end on the server, whatever the browser keeps."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse

from audit.actions import Action, Outcome
from audit.ledger import record
from vault.addresses import client_address, in_networks, parse_address


class SessionLifetimeMiddleware:
    """End a signed-in session 12 hours after sign-in, however active it has been."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.get("signed_in_at")
            if started is None or time.time() - started > settings.SESSION_ABSOLUTE_LIFETIME:
                logout(request)
        return self.get_response(request)


# Where a session keeps when its idle time was last renewed (seconds since the epoch).
RENEWED_AT_KEY = "renewed_at"


class SessionRenewalMiddleware:
    """Renew a session's idle time (``SESSION_COOKIE_AGE``) on use, at most once every
    ``SESSION_RENEW_SECONDS``: a session write is a database write, and writing it on
    every request (Django's ``SESSION_SAVE_EVERY_REQUEST``) made every page a person opens
    pay for a second transaction. A session therefore ends after between
    ``SESSION_COOKIE_AGE - SESSION_RENEW_SECONDS`` and ``SESSION_COOKIE_AGE`` idle seconds.

    Sits inside the session middleware: what it sets is saved, with a fresh expiry, by
    that middleware's response step. A request without a session cookie, or whose session
    is gone or empty, or one that changed its session anyway (a sign-in, a sign-out), is
    left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.session_key or session.modified:
            return response
        if response.status_code >= 500 or not session.keys():
            return response
        now = int(time.time())
        if now - session.get(RENEWED_AT_KEY, 0) >= settings.SESSION_RENEW_SECONDS:
            session[RENEWED_AT_KEY] = now
        return response


class BackOfficeNetworkMiddleware:
    """Let only the networks of ``SHOPGUARD_BACKOFFICE_NETWORKS`` reach the back office.

    Every page of the shop's people is under ``/admin/`` (shopguard/urls.py), the sign-in
    included: from any other address each answers 403 with a page that says why and leads
    to the public pages, and writes ``access.refused`` (reason ``network``). The public
    pages are never affected, and an empty setting lets every address in. The address is
    the one client address (vault/addresses.py), so behind nginx it is the client's.

    An invite's set-password link is under ``/admin/`` too: a new person who opens it
    from elsewhere (at home, say) is told that the link is still unused and opens from
    the shop's networks, and the ledger gets the link's path without its token.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        allowed = settings.SHOPGUARD_BACKOFFICE_NETWORKS
        if allowed and request.path_info.startswith(reverse("admin:index")):
            address = client_address(request)
            if not in_networks(parse_address(address), allowed):
                return network_refused(request)
        return self.get_response(request)


def network_refused(request):
    invite = _invite_link(request)
    # An invite link's token would let whoever reads the ledger set the person's password.
    path = reverse("accounts:invite", args=[invite, "-"]) if invite else request.path
    record(
        Action.ACCESS_REFUSED,
        request=request,
        outcome=Outcome.REFUSED,
        detail={"reason": "network", "method": request.method, "path": path[:200]},
    )
    context = {
        "language_next": "/",
        "home_url": reverse("privacy:current"),
        "invite": bool(invite),
    }
    return render(request, "accounts/network_refused.html", context, status=403)


def _invite_link(request):
    """The person's part (uidb64) of an invite link's path, or None for any other page."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    return match.kwargs["uidb64"] if match.view_name == "accounts:invite" else None
