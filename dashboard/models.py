"""What only a person can know for the evidence page (the payment provider's 3-D Secure,
the anti-virus on the office PC...): the owner records each statement, with who said so
and when; the newest one per item counts, the older ones stay as its history."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Statement(models.Model):
    class Answer(models.TextChoices):
        YES = "yes", _("できている")
        PARTLY = "partly", _("一部できている")
        NO = "no", _("できていない")

    item = models.CharField(_("項目"), max_length=40, db_index=True)
    answer = models.CharField(_("回答"), max_length=10, choices=Answer.choices)
    stated_by = models.CharField(
        _("確認した人・確認先"),
        max_length=200,
        help_text=_("例: 決済代行会社の管理画面、店長 山田"),
    )
    note = models.CharField(_("補足"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("記録した人"),
    )
    recorded_at = models.DateTimeField(_("記録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("確認事項の記録")
        verbose_name_plural = _("確認事項の記録")
        # Statements are evidence: added, never changed or deleted.
        default_permissions = ("add",)
        permissions = [("view_evidence", _("証跡のページを見られる"))]

    def __str__(self):
        return f"{self.item} {self.answer}"
