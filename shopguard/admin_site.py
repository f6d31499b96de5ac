"""The one admin site the shop's people work in."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class ShopGuardAdminSite(admin.AdminSite):
    site_header = _("ShopGuard 顧客データ管理")
    site_title = _("ShopGuard")
    index_title = _("管理メニュー")

    def has_permission(self, request):
        """Only active people who hold a ShopGuard role may enter the admin."""
        from shopguard.roles import role_of

        return super().has_permission(request) and role_of(request.user) is not None
