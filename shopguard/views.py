"""The error pages: they never echo the requested path (it could carry personal data)."""

from django.shortcuts import render

from audit.actions import Action, Outcome
from shopguard.way_back import way_back

ERROR_CONTEXT = {"language_next": "/"}


def bad_request(request, exception=None):
    return render(request, "400.html", ERROR_CONTEXT, status=400)


def permission_denied(request, exception=None):
    """Every refusal of a signed-in person is a ledger entry (the path holds ids only:
    personal data never travels in URLs)."""
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        from audit.ledger import record

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
