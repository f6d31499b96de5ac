from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("顧客")

    def ready(self):
        from audit.display import register_field_labels, register_reason_labels
        from customers.fields import SCRUBBED_IN_LOGS
        from customers.forms import REVEAL_REASONS
        from vault.log import scrub_extra_fields

        scrub_extra_fields(SCRUBBED_IN_LOGS)
        # The ledger names recorded fields (a reveal's, a change's) in words: the fields
        # a person reads and types, not the columns behind them (indexes, sealed record).
        from customers.fields import FIELDS

        register_field_labels({f.name: f.label for f in FIELDS})
        purchase = self.get_model("Purchase")
        shown = ("product_name", "category", "amount", "purchased_on")
        register_field_labels({n: purchase._meta.get_field(n).verbose_name for n in shown})
        register_reason_labels(dict(REVEAL_REASONS))
