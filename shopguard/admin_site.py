"""The one admin site the shop's people work in."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from vault.access import gated
from vault.roles import holds_a_role

# The app lists built so far (``ShopGuardAdminSite.get_app_list``): a few per role and
# language; the bound only guards against surprises.
_MAX_APP_LISTS = 64
_app_lists: dict = {}


class ShopGuardAdminSite(admin.AdminSite):
    site_header = _("ShopGuard 顧客データ管理")
    site_title = _("ShopGuard")
    index_title = _("管理メニュー")

    def has_permission(self, request):
        """Only active people who hold a ShopGuard role may enter the admin, and, while
        two-factor sign-in is required, only on a session whose second factor is confirmed
        (fail closed: a session made by any other path is refused)."""
        from accounts.signin import second_factor_confirmed

        if settings.SHOPGUARD_REQUIRE_2FA and not second_factor_confirmed(request):
            return False
        return super().has_permission(request) and holds_a_role(request.user)

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every ModelAdmin passes the one gate (``vault.access.PermissionAdmin``): the
        shop's own admins name it in their bases, an installed package's (django-axes'
        lockout records) is given it here."""
        gate = gated(admin_class or admin.ModelAdmin)
        return super().register(model_or_iterable, gate, **options)

    def get_app_list(self, request, app_label=None):
        """Django's list of the apps and models a person may open (the side menu on
        every admin page, and the home page), built once per set of permissions and
        language: every admin decides its menu entry from the person's model
        permissions alone (``vault.access.PermissionAdmin``; object rules apply to
        objects, never to the menu), and building it (a permission check and two URL
        reversals per model, sorted by translated name) was a tenth of the customer
        list's time (issue #26). Each call gets its own copies of the dicts."""
        user = request.user
        key = (
            user.is_active,
            user.is_superuser,
            frozenset(user.get_all_permissions()),
            get_language(),
            app_label,
        )
        apps = _app_lists.get(key)
        if apps is None:
            apps = super().get_app_list(request, app_label)
            if len(_app_lists) >= _MAX_APP_LISTS:
                _app_lists.clear()  # one step, safe beside another thread adding a list
            _app_lists[key] = apps
        return [{**app, "models": [dict(model) for model in app["models"]]} for app in apps]

    def index(self, request, extra_context=None):
        """The home page: what waits for this person, the shop's posture and the last
        30 days, as their role may see them (dashboard.home)."""
        from dashboard.home import dashboard_for

        return super().index(request, {**dashboard_for(request), **(extra_context or {})})

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        """The password step of sign-in; the second factor follows (accounts.signin)."""
        from accounts.signin import SignInView

        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        context = {
            **self.each_context(request),
            "title": _("サインイン"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        context.update(extra_context or {})
        request.current_app = self.name
        return SignInView.as_view(extra_context=context)(request)

    def password_change(self, request, extra_context=None):
        """One's own password: after re-authentication, and with the current password
        (Django's PasswordChangeForm asks for it). Ends one's other sessions, is recorded,
        and spends the re-authentication (accounts.people.password_changed)."""
        from accounts.people import password_changed
        from accounts.reauth import reauth_redirect, recently_reauthenticated
        from audit.changes import recorded_by_caller

        if not recently_reauthenticated(request):
            return reauth_redirect(request)
        before = request.user.password
        # account.password_set is the one record of the password's save.
        with transaction.atomic(), recorded_by_caller():
            response = super().password_change(request, extra_context)
            request.user.refresh_from_db(fields=["password"])
            if request.user.password != before:
                password_changed(request, request.user)
        return response
