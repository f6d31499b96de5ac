"""Sign-in housekeeping: stamp the sign-in time (12-hour absolute lifetime), track sessions."""

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver


@receiver(user_logged_in, dispatch_uid="shopguard_signed_in_at")
def stamp_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session["signed_in_at"] = time.time()


@receiver(user_logged_in, dispatch_uid="shopguard_track_session")
def track_session(sender, request, user, **kwargs):
    """Remember whose session this is, so deactivation can end it (accounts.people)."""
    from accounts.people import track_session

    if request is not None and hasattr(request, "session"):
        track_session(request, user)


@receiver(user_logged_out, dispatch_uid="shopguard_forget_session")
def forget_session(sender, request, user, **kwargs):
    from accounts.people import forget_session

    if request is not None:
        forget_session(request)
