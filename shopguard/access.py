"""Role checks for custom views (admin pages check through their ModelAdmin permissions).

What a role may not know exists answers 404; what it may see but not use answers 403.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

from shopguard.roles import has_role


def role_required(*roles, hidden=True):
    """Decorator: only active people holding one of ``roles`` may use the view.

    Anonymous people are sent to sign in; other people get 404 when ``hidden`` (they may
    not know the page exists), else 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise Http404 if hidden else PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
