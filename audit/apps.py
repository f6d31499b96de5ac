from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("監査記録")

    def ready(self):
        from audit import changes, receivers

        # The audit app reacts to other apps' events without importing them: model
        # changes (audit.changes), sign-ins and unrecorded reads (audit.receivers).
        changes.connect()
        receivers.connect()
        post_migrate.connect(ensure_triggers, sender=self, dispatch_uid="audit_triggers")


def ensure_triggers(using="default", **kwargs):
    """Put the append-only triggers back if a table rebuild (SQLite) dropped them."""
    from django.db import connections

    from audit import triggers

    triggers.install(connections[using])
