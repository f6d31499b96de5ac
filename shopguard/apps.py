from django.contrib.admin.apps import AdminConfig


class ShopGuardAdminConfig(AdminConfig):
    """Django's admin, with ShopGuard's own site (shopguard.admin_site)."""

    default_site = "shopguard.admin_site.ShopGuardAdminSite"
