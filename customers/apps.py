from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("顧客")

    def ready(self):
        from audit.display import register_field_labels, register_reason_labels
        from customers.fields import SCRUBBED_IN_LOGS
        from customers.forms import REVEAL_REASONS
        from shopguard.log import scrub_extra_fields

        scrub_extra_fields(SCRUBBED_IN_LOGS)
        # The ledger names recorded fields (a reveal's, a change's) in words.
        for model in (self.get_model("Customer"), self.get_model("Purchase")):
            register_field_labels({f.name: f.verbose_name for f in model._meta.fields})
        register_reason_labels(dict(REVEAL_REASONS))
