from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("監査記録")

    def ready(self):
        from auditlog.signals import post_log

        from audit import changes, receivers
        from audit.models import ChangeLogEntry

        changes.register_models()
        post_log.connect(changes.copy_change_to_ledger, dispatch_uid="audit_change")
        post_save.connect(
            changes.copy_relations_to_ledger, sender=ChangeLogEntry, dispatch_uid="audit_m2m"
        )
        receivers.connect()
        post_migrate.connect(ensure_triggers, sender=self, dispatch_uid="audit_triggers")


def ensure_triggers(using="default", **kwargs):
    """Put the append-only triggers back if a table rebuild (SQLite) dropped them."""
    from django.db import connections

    from audit import triggers

    triggers.install(connections[using])
