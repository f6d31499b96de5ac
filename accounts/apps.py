from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("利用者とサインイン")

    def ready(self):
        from accounts import (
            roles,
            signals,  # noqa: F401
        )
        from accounts.reauth import require_recent_auth
        from accounts.rules import may_review_access
        from audit import alerts, reviews

        alerts.use_reauthentication(require_recent_auth)
        reviews.use_review_rule(may_review_access)
        post_migrate.connect(roles.sync_role_permissions, dispatch_uid="shopguard_roles")
        # A misspelt codename in the role table fails `manage.py check`, naming it.
        checks.register(roles.check_role_permissions)
