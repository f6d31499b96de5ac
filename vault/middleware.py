"""Request-wide safety: a request id, no read scope at the start, no caching."""

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from vault import reads
from vault.log import request_id_var

GetResponse = Callable[[HttpRequest], HttpResponse]


class RequestIdMiddleware:
    """Give every request an id (reused from X-Request-ID when it is a clean uuid)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        try:
            request_id = str(uuid.UUID(incoming))
        except ValueError:
            request_id = str(uuid.uuid4())
        request.request_id = request_id  # type: ignore[attr-defined]  # ShopGuard's own
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class NoReadScopeMiddleware:
    """Every request starts outside any read scope: only the reading path, inside the
    request, may open one (vault.reads)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with reads.no_scope():
            return self.get_response(request)


class NoStoreMiddleware:
    """Forbid caching of every page unless a view deliberately allowed it.

    Any page of the admin can show customer data, and a shared browser's cache is one of
    the leaks ShopGuard exists to prevent, so the default is ``no-store``.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control") or request.user.is_authenticated:
            response["Cache-Control"] = "no-store, private"
        return response
