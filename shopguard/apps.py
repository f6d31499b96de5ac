from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.db.models.signals import post_migrate


class ShopGuardAdminConfig(AdminConfig):
    default_site = "shopguard.admin_site.ShopGuardAdminSite"


class ShopGuardConfig(AppConfig):
    name = "shopguard"
    verbose_name = "ShopGuard"

    def ready(self):
        from shopguard import roles, signals  # noqa: F401

        post_migrate.connect(roles.sync_role_permissions, dispatch_uid="shopguard_roles")
