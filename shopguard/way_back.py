"""The way back from an error page (403, 405): the page the person came from, when it is
one of this site's, and their home (the admin's for the shop's people, the policy for
everyone else), so that no refusal leaves anyone at a dead end."""

from urllib.parse import urlsplit

from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from shopguard.roles import role_of


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
    if role_of(getattr(request, "user", None)) is not None:
        return reverse("admin:index")
    return reverse("privacy:current")


def way_back(request):
    """Template context for an error page's links back."""
    return {"back_url": previous_page(request), "home_url": home_page(request)}
