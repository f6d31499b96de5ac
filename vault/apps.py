from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VaultConfig(AppConfig):
    """ShopGuard's own library: field encryption, blind indexes, keys, the read guard,
    limits, logging and shared Japanese facts. It imports no app of the project; it is
    an app only for its one model (the limits' counters) and its command."""

    name = "vault"
    verbose_name = _("ShopGuard の仕組み")

    def ready(self) -> None:
        from django.core import checks

        from vault.addresses import check_allow_list_behind_proxy

        # An allow-list that a proxy on this machine would open to everyone warns.
        checks.register(check_allow_list_behind_proxy)
