from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One entry of the append-only ledger. Holds no personal data, only ids and names
    of fields, actions and reasons."""

    seq = models.PositiveBigIntegerField(unique=True, editable=False)
    created_at = models.DateTimeField(db_index=True, editable=False)
    action = models.CharField(max_length=40, db_index=True)
    outcome = models.CharField(max_length=10, default="ok")
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=36, blank=True)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True, db_index=True)
    customer_ids = models.JSONField(default=list, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_chain = models.CharField(max_length=64, blank=True)
    chain = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("監査記録")
        verbose_name_plural = _("監査記録")

    def __str__(self):
        return f"#{self.seq} {self.action}"
