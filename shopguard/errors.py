"""The error pages (400, 403, 404, 405, 500), and the way back from each.

They never echo the requested path (it could carry personal data). A refusal leaves no
one at a dead end: the page the person came from, when it is one of this site's, and
their home (the admin's for the shop's people, the policy for everyone else).
"""

from urllib.parse import urlsplit

from django.http import HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from audit.actions import Action, Outcome
from audit.ledger import record
from vault.roles import holds_a_role

ERROR_CONTEXT = {"language_next": "/"}


def previous_page(request):
    """The same-site path (and query) of the Referer, or None. Only a path is kept: the
    page never echoes another site's address, and this site's URLs carry no personal
    data (DESIGN.md, invariant 8)."""
    referer = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure()):
        return None
    parts = urlsplit(referer)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    # The path alone must stay on this site too ("//host/..." is another site's address).
    if not url_has_allowed_host_and_scheme(path, {request.get_host()}, request.is_secure()):
        return None
    if not parts.path.startswith("/") or parts.path == request.path:
        return None
    return path


def home_page(request):
    """The admin home for a signed-in member of the shop, the public policy otherwise."""
    if holds_a_role(getattr(request, "user", None)):
        return reverse("admin:index")
    return reverse("privacy:current")


def way_back(request):
    """Template context for an error page's links back."""
    return {"back_url": previous_page(request), "home_url": home_page(request)}


def bad_request(request, exception=None):
    return render(request, "400.html", ERROR_CONTEXT, status=400)


def permission_denied(request, exception=None):
    """Every refusal of a signed-in person is a ledger entry (the path holds ids only:
    personal data never travels in URLs)."""
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        record(
            Action.ACCESS_REFUSED,
            request=request,
            outcome=Outcome.REFUSED,
            detail={"method": request.method, "path": request.path[:200]},
        )
    return render(request, "403.html", {**ERROR_CONTEXT, **way_back(request)}, status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", ERROR_CONTEXT, status=404)


def server_error(request):
    return render(request, "500.html", ERROR_CONTEXT, status=500)


class MethodNotAllowedPageMiddleware:
    """Give a refused method (``require_POST``, ``require_http_methods``, a class view's
    ``http_method_not_allowed``) the 405 page instead of Django's blank answer, keeping
    the status and the Allow header. Last in MIDDLEWARE, so that the page still gets
    the security headers of the middleware outside it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        context = {"language_next": "/", **way_back(request)}
        page = render(request, "405.html", context, status=405)
        page["Allow"] = response["Allow"]
        return page
