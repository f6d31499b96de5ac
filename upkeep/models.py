"""What the scheduled jobs leave behind between runs: one row per job, holding its lock
(a lease, so a crashed run frees it by itself) and its last start, success and failure.
Every run is also a ``job.run`` ledger entry; this table only answers "is it due?" and
"is it running?" in one small query."""

from django.conf import settings
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


class SecurityCheck(models.Model):
    """One vulnerability diagnosis of the site, or one round of software updates on the
    server and the office PCs: what the app cannot measure itself, so the owner records
    it (the IPA EC-site guideline Nos. 2 and 3; the card-security guideline's periodic
    diagnosis). The evidence page and the home page's reminder read the newest of each
    kind (``upkeep.security_checks``)."""

    class Kind(models.TextChoices):
        DIAGNOSIS = "diagnosis", _("脆弱性診断")
        PATCHES = "patches", _("ソフトウェアの更新")

    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices)
    done_on = models.DateField(_("実施日"))
    done_by = models.CharField(
        _("実施者"), max_length=200, help_text=_("診断した会社や、更新した人の名前")
    )
    findings = models.TextField(
        _("指摘事項・内容"),
        blank=True,
        help_text=_(
            "診断で見つかったこと（直すべきことがなければ空のまま）。顧客の情報は書かないでください。"
        ),
    )
    fixed_on = models.DateField(
        _("対応完了日"),
        null=True,
        blank=True,
        help_text=_("指摘事項をすべて直した日。"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("記録した人"),
    )
    recorded_at = models.DateTimeField(_("記録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("脆弱性診断・ソフトウェア更新の記録")
        verbose_name_plural = _("脆弱性診断・ソフトウェア更新の記録")
        # A record is evidence: corrected (a finding fixed), never deleted.
        default_permissions = ("view", "add", "change")
        ordering = ["-done_on", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.done_on}"

    @property
    def open_findings(self):
        """Findings written down and not yet fixed."""
        return bool(self.findings.strip()) and self.fixed_on is None
