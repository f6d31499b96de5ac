from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """The home page of the shop's people: the one app that may import every other."""

    name = "dashboard"
    verbose_name = _("ホーム")
