import json

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.actions import COUNTED_ACTIONS, Action, Outcome
from audit.chain import canonical_json


class CanonicalJSONField(models.TextField):
    """JSON kept as the exact compact text the hash chain covers (a database's own JSON
    type would reformat it); reads back as a list or dict."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else json.loads(value)

    def to_python(self, value):
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value):
        return None if value is None else canonical_json(value)

    def value_to_string(self, obj):
        return canonical_json(self.value_from_object(obj))


class AuditEntry(models.Model):
    """One entry of the append-only ledger. Holds no personal data, only ids and names
    of fields, actions and reasons.

    Entries are written only by ``audit.ledger.record``; database triggers refuse UPDATE
    and DELETE (``purge_audit`` alone may delete old entries, see ``PurgePermit``).
    """

    seq = models.PositiveBigIntegerField(_("番号"), unique=True, editable=False)
    created_at = models.DateTimeField(_("日時"), db_index=True, editable=False)
    action = models.CharField(_("操作"), max_length=40, db_index=True, choices=Action.choices)
    outcome = models.CharField(
        _("結果"), max_length=10, default=Outcome.OK, choices=Outcome.choices
    )
    actor_id = models.BigIntegerField(_("利用者ID"), null=True, blank=True)
    actor_username = models.CharField(_("利用者名"), max_length=150, blank=True)
    actor_role = models.CharField(_("役割"), max_length=20, blank=True)
    ip = models.CharField(_("IPアドレス"), max_length=45, blank=True)
    user_agent = models.CharField(_("ユーザーエージェント"), max_length=300, blank=True)
    request_id = models.CharField(_("リクエストID"), max_length=36, blank=True)
    target_type = models.CharField(_("対象の種類"), max_length=60, blank=True)
    target_id = models.CharField(_("対象ID"), max_length=64, blank=True, db_index=True)
    customer_ids = CanonicalJSONField(_("顧客ID"), default=list, blank=True)
    detail = CanonicalJSONField(_("詳細"), default=dict, blank=True)
    prev_chain = models.CharField(max_length=64, blank=True, editable=False)
    chain = models.CharField(_("チェーン値"), max_length=64, editable=False)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("監査記録")
        verbose_name_plural = _("監査記録")
        permissions = [("view_activity", _("店の利用状況のグラフを見る"))]
        indexes = [
            # The per-request alert checks (new IP, failures).
            models.Index(fields=["actor_id", "action"], name="audit_actor_action"),
            models.Index(fields=["actor_username", "created_at"], name="audit_username_time"),
            # The ledger's pages in their own order (newest first), so that a page of one
            # person's or one action's entries reads 100 index entries, not all of them.
            models.Index(fields=["actor_id", "seq"], name="audit_actor_seq"),
            models.Index(fields=["action", "seq"], name="audit_action_seq"),
            # The distinct-customers alert (audit.alerts): a person's counted entries of
            # the last hour only, so their list pages never make its check slower.
            models.Index(
                fields=["actor_id", "created_at"],
                condition=models.Q(action__in=COUNTED_ACTIONS),
                name="audit_counted_time",
            ),
        ]
        # Which entries name a customer: audit.appearances (a GIN index over
        # customer_ids on PostgreSQL, appearance rows on SQLite; migration 0022).

    def __str__(self):
        try:
            label = Action(self.action).label
        except ValueError:  # a name from before a rename
            label = self.action
        return f"#{self.seq} {label}"


class AuditDay(models.Model):
    """How many entries of one action and outcome one person wrote on one Japan-time day:
    what the home page's 30-day charts read, a few hundred rows whatever the ledger's
    size. ``record`` keeps it in the same transaction as the entry; it is a count only,
    never evidence (the entries are), and holds no customer's id."""

    day = models.DateField()
    action = models.CharField(max_length=40)
    outcome = models.CharField(max_length=10)
    actor_username = models.CharField(max_length=150, blank=True)
    entries = models.PositiveBigIntegerField(default=0)

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["day", "action", "outcome", "actor_username"], name="audit_day_key"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.action} {self.outcome}: {self.entries}"


class AuditHead(models.Model):
    """The ledger's one-row head: the last sequence number and chain value. Every append
    locks this row first, so concurrent requests queue instead of forking the chain."""

    seq = models.PositiveBigIntegerField(default=0)
    chain = models.CharField(max_length=64, blank=True)

    def __str__(self):
        return f"head {self.seq}"


class PurgePermit(models.Model):
    """Present only inside ``purge_audit``'s own transaction: the delete trigger lets
    ledger rows go only while a permit row exists."""

    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"purge permit {self.pk}"


class Alert(models.Model):
    """An unusual access the owners must look at. The ledger holds its ``alert.raise``
    and ``alert.acknowledge`` entries; this row carries the state the banner reads."""

    BULK_VIEW = "bulk_view"
    REVEAL_QUOTA = "reveal_quota"
    EXPORT_DOWNLOAD = "export_download"
    NEW_IP = "new_ip"
    FAILURES = "failures"
    ACCOUNT_CHANGE = "account_change"
    OWNER_REVEALS = "owner_reveals"
    KIND_CHOICES = [
        (BULK_VIEW, _("1時間に多数の顧客を閲覧")),
        (REVEAL_QUOTA, _("表示回数の上限に到達")),
        (EXPORT_DOWNLOAD, _("エクスポートのダウンロード")),
        (NEW_IP, _("初めてのIPアドレスからのサインイン")),
        (FAILURES, _("サインインの失敗の繰り返し")),
        (ACCOUNT_CHANGE, _("利用者のアカウントの変更")),
        (OWNER_REVEALS, _("表示の目安を超えた個人情報の表示")),
    ]

    kind = models.CharField(_("種類"), max_length=20, choices=KIND_CHOICES)
    raised_at = models.DateTimeField(_("発生日時"), db_index=True)
    entry_seq = models.PositiveBigIntegerField(_("監査記録の番号"))
    cause_seq = models.PositiveBigIntegerField(_("原因の記録の番号"), null=True, blank=True)
    subject_id = models.BigIntegerField(_("対象の利用者ID"), null=True, blank=True)
    subject_username = models.CharField(_("対象の利用者名"), max_length=150, blank=True)
    acknowledged_at = models.DateTimeField(_("確認日時"), null=True, blank=True)
    acknowledged_by_id = models.BigIntegerField(_("確認者ID"), null=True, blank=True)
    acknowledged_by_username = models.CharField(_("確認した人"), max_length=150, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("警告")
        verbose_name_plural = _("警告")
        permissions = [("acknowledge_alert", _("警告を受け取り、確認済みにする"))]
        indexes = [models.Index(fields=["acknowledged_at"], name="audit_alert_open")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.entry_seq}"


class AccessReview(models.Model):
    """One period of the shop's access, reviewed (PPC FAQ Q10-20): who reviewed it, when,
    and what they found, in their own words (checked for personal data). Written once
    per period by ``audit.reviews.mark_reviewed`` with its ``audit.review`` ledger entry,
    which carries the findings too, so the chain covers them."""

    period_start = models.DateField(_("期間の始まり"), unique=True)
    period_end = models.DateField(_("期間の終わり（この日を含まない）"))
    reviewed_at = models.DateTimeField(_("点検した日時"))
    reviewed_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, related_name="+", null=True, editable=False
    )
    reviewed_by_username = models.CharField(_("点検した人"), max_length=150)
    findings = models.TextField(_("所見"), blank=True)
    entry_seq = models.PositiveBigIntegerField(_("監査記録の番号"))

    class Meta:
        ordering = ["-period_start"]
        verbose_name = _("アクセスの点検")
        verbose_name_plural = _("アクセスの点検")
        default_permissions = ("view",)
        permissions = [
            ("review_access", _("アクセスの点検をする")),
            ("review_access_standin", _("監査役がいない店でアクセスの点検をする")),
        ]

    def __str__(self):
        return f"{self.period_start:%Y-%m}"
