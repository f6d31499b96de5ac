from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = _("エクスポート")

    def ready(self):
        # The customer list's "export the selected customers" action belongs to exports,
        # which the customers app may not import: it is added to that admin from here.
        from exports.admin_actions import add_export_action

        add_export_action()
