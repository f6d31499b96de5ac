"""The gates every page of the shop's people passes: one decorator for views beside the
admin (``vault_view``), one mixin every ModelAdmin has (``PermissionAdmin``).

Both ask Django's permissions and nothing else (``user.has_perm``, as ``contrib.admin``
does): which role holds which permission is one table, ``accounts.roles``, written into
the role groups after every migration. Rules that also depend on the object (someone
else's export, the last owner) are named functions in ``accounts.rules``.

Every page first passes the admin site's own gate (``admin.site.has_permission``: an
active person with a role and, while two-factor sign-in is required, a verified second
factor): the admin's pages in ``AdminSite.admin_view``, the views beside it in
``vault_view``. Anonymous people are sent to sign in; everyone else who may not use the
page gets 403, so an outsider or the auditor learns nothing.
"""

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission, User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.views.decorators.cache import never_cache

from vault.widgets import RememberedActionForm

View = Callable[..., HttpResponseBase]
_Admin = TypeVar("_Admin", bound=type)

if TYPE_CHECKING:
    _MixinBase = admin.ModelAdmin[Any]  # what the mixin is put in front of, for mypy
else:
    _MixinBase = object


class AuthenticatedHttpRequest(HttpRequest):
    """For annotations only: a request that passed one of these gates (or the admin
    site's), so its user is a signed-in person of the shop, never AnonymousUser."""

    user: User


def vault_view(*permissions: str) -> Callable[[View], View]:
    """Decorator: never cached; anonymous people go to sign in; the rest need the admin
    site's permission and every one of ``permissions`` ("app_label.codename"), or get
    403 (like ``permission_required(..., raise_exception=True)``).

    Works on ModelAdmin methods too, through ``method_decorator``.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            if not (admin.site.has_permission(request) and request.user.has_perms(permissions)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return never_cache(wrapper)

    return decorator


class PermissionAdmin(_MixinBase):
    """ModelAdmin mixin: the admin's one gate, which every ModelAdmin has (the admin site
    gives it to the admins of installed packages; a test checks every one).

    Viewing, adding, changing and deleting each need the model's permission, as in
    Django; the menu entry follows viewing (or changing, which implies it). ``never``
    names the kinds of work ("add", "change", "delete") this admin offers nobody,
    whatever permissions a group holds, the owner included: evidence is not edited. Put
    it before ``admin.ModelAdmin`` (or ``UserAdmin``) in the bases; object rules (a
    published version is read-only) stay in the class, calling ``super()``.
    """

    never: tuple[str, ...] = ()
    # The list-action menu written once per language and set of actions.
    action_form = RememberedActionForm

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_or_change_permission(request)

    def has_add_permission(self, request: HttpRequest, *args: Model | None) -> bool:
        # *args: inlines pass the parent object too.
        return "add" not in self.never and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return "change" not in self.never and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return "delete" not in self.never and super().has_delete_permission(request, obj)


def gated(admin_class: _Admin) -> _Admin:
    """``admin_class`` with the one gate: itself when it has it, else a subclass."""
    if issubclass(admin_class, PermissionAdmin):
        return admin_class
    attributes = {
        "__module__": admin_class.__module__,
        "__doc__": admin_class.__doc__,
        "gate_given_by_site": True,
    }
    return cast(_Admin, type(admin_class.__name__, (PermissionAdmin, admin_class), attributes))


def holders(permission: str) -> QuerySet[Any]:
    """Active people whose role grants ``permission`` ("app_label.codename").

    A role is the only way anyone holds a permission here (nobody is given one of their
    own), so this is the set of people for whom ``has_perm(permission)`` is true. A
    plain join through the role groups: ``select_for_update()`` on it locks those
    people's rows and their group's, as a rule that counts them needs.
    """
    app_label, codename = permission.split(".", 1)
    granted = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return get_user_model().objects.filter(is_active=True, groups__permissions__in=granted)
