"""Sessions of the shop's people end on the server, whatever the browser keeps."""

import time

from django.conf import settings
from django.contrib.auth import logout


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
