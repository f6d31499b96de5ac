"""What the scheduled jobs leave behind between runs: one row per job, holding its lock
(a lease, so a crashed run frees it by itself) and its last start, success and failure.
Every run is also a ``job.run`` ledger entry; this table only answers "is it due?" and
"is it running?" in one small query."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobState(models.Model):
    name = models.CharField(_("処理"), max_length=40, primary_key=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    locked_by = models.CharField(max_length=64, blank=True)
    last_started = models.DateTimeField(_("最後の開始"), null=True, blank=True)
    last_succeeded = models.DateTimeField(_("最後の成功"), null=True, blank=True)
    last_failed = models.DateTimeField(_("最後の失敗"), null=True, blank=True)
    last_message = models.CharField(_("結果"), max_length=300, blank=True)
    # Progress of a run that reports it (the ledger verification started from the page).
    progress_done = models.BigIntegerField(default=0)
    progress_total = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("定期処理の状態")
        verbose_name_plural = _("定期処理の状態")
        default_permissions = ()
        permissions = [("run_verification", _("監査記録の改ざん検査を画面から実行できる"))]

    def __str__(self):
        return self.name


class DatabaseRole(models.Model):
    """What this database holds, when it is not the shop's real data: seed_demo and
    make_test_copy mark their databases, and a database with customers and no mark is
    taken to hold real ones (``upkeep.identity``)."""

    class Kind(models.TextChoices):
        DEMO = "demo", _("デモ")
        TEST_COPY = "test_copy", _("テスト用の複製")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    marked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return self.kind
