from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataRequestsConfig(AppConfig):
    """Customers' own requests about their information (APPI arts. 32-35)."""

    name = "datarequests"
    verbose_name = _("個人情報に関するご請求")
