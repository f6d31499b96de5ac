from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class ShopGuardAdminConfig(AdminConfig):
    default_site = "shopguard.admin_site.ShopGuardAdminSite"


class ShopGuardConfig(AppConfig):
    """The project itself: the admin site, error pages, key commands and the migrations
    that created the role groups (people and sessions now live in ``accounts``)."""

    name = "shopguard"
    verbose_name = "ShopGuard"
