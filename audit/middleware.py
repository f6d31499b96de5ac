"""Keep the current request at hand for ledger entries written from model signals."""

from contextvars import ContextVar

_request = ContextVar("audit_request", default=None)


def current_request():
    """The request being served in this thread or task, or None (commands, tests)."""
    return _request.get()


class CurrentRequestMiddleware:
    """Remember the request so that a model change recorded by a signal carries the
    person's IP, user agent and request id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
