from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UpkeepConfig(AppConfig):
    """Running the shop for years: encrypted backups and their restore, retention that
    forgets on time, the scheduled jobs and copies of the database for testing."""

    name = "upkeep"
    verbose_name = _("運用")
