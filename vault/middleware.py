"""Request-wide safety: a request id, no read scope at the start, no caching."""

import uuid

from vault import reads
from vault.log import request_id_var


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
    request, may open one (vault.reads)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with reads.no_scope():
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
