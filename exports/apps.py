from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = _("エクスポート")

    def ready(self):
        # The customer list's "export the selected customers" action belongs to exports,
        # which the customers app may not import: it is offered through the customer
        # admin's own hook for other apps' list actions.
        from customers.admin import offer_list_action
        from exports.admin_actions import REQUEST_EXPORTS, export_selected

        offer_list_action(export_selected, REQUEST_EXPORTS)
