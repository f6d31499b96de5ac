from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("顧客")

    def ready(self):
        from customers.fields import SCRUBBED_IN_LOGS
        from shopguard.log import scrub_extra_fields

        scrub_extra_fields(SCRUBBED_IN_LOGS)
