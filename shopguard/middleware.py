"""Request-wide safety: a request id, the absolute session lifetime, no caching."""

import time
import uuid

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponseNotAllowed
from django.shortcuts import render

from shopguard import reads
from shopguard.log import request_id_var
from shopguard.way_back import way_back


class RequestIdMiddleware:
    """Give every request an id (reused from X-Request-ID when it is a clean uuid)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        try:
            request.request_id = str(uuid.UUID(incoming))
        except ValueError:
            request.request_id = str(uuid.uuid4())
        token = request_id_var.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


class NoReadScopeMiddleware:
    """Every request starts outside any read scope: only the reading path, inside the
    request, may open one (shopguard.reads)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with reads.no_scope():
            return self.get_response(request)


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


class NoStoreMiddleware:
    """Forbid caching of every page unless a view deliberately allowed it.

    Any page of the admin can show customer data, and a shared browser's cache is one of
    the leaks ShopGuard exists to prevent, so the default is ``no-store``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control") or request.user.is_authenticated:
            response["Cache-Control"] = "no-store, private"
        return response


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
