"""The gates every page of the shop's people passes: one decorator for views beside the
admin (``vault_view``), one mixin for role-gated ModelAdmins (``RoleGatedAdmin``).

Both start from the admin site's own gate (``admin.site.has_permission``: an active
person with a role and, while two-factor sign-in is required, a verified second factor),
then ask for the model permission *and* a role: a permission given to the wrong group
by mistake opens nothing. Anonymous people are sent to sign in; everyone else who may
not use the page gets 403, so an outsider or the auditor learns nothing.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.views.decorators.cache import never_cache

from vault.roles import has_role

View = Callable[..., HttpResponseBase]


def vault_view(*permissions: str, roles: tuple[str, ...] | None = None) -> Callable[[View], View]:
    """Decorator: never cached; anonymous people go to sign in; the rest need the admin
    site's permission, every one of ``permissions`` and, when given, one of ``roles``
    (403 otherwise, like ``permission_required(..., raise_exception=True)``).

    Works on ModelAdmin methods too, through ``method_decorator``.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            if not (
                admin.site.has_permission(request)
                and request.user.has_perms(permissions)
                and (roles is None or has_role(request.user, *roles))
            ):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return never_cache(wrapper)

    return decorator


class RoleGatedAdmin:
    """ModelAdmin mixin: which roles may view, add, change and delete, as class attributes.

    A role must be listed *and* hold the model permission; an empty tuple means nobody
    (the owner included). Seeing a model's menu entry follows ``view_roles`` and
    ``change_roles``, as Django's change permission implies viewing. Put it before
    ``admin.ModelAdmin`` (or ``UserAdmin``) in the bases; object rules (a published
    version is read-only) stay in the class, calling ``super()``.
    """

    view_roles = ()
    add_roles = ()
    change_roles = ()
    delete_roles = ()

    def has_module_permission(self, request: HttpRequest) -> bool:
        seeing = (*self.view_roles, *self.change_roles)
        return has_role(request.user, *seeing) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        seeing = (*self.view_roles, *self.change_roles)
        return has_role(request.user, *seeing) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Model | None) -> bool:
        # *args: inlines pass the parent object too.
        allowed = has_role(request.user, *self.add_roles)
        return allowed and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        allowed = has_role(request.user, *self.change_roles)
        return allowed and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        allowed = has_role(request.user, *self.delete_roles)
        return allowed and super().has_delete_permission(request, obj)
