"""A leak, or a suspected one (漏えい等の事案, APPI art. 26), and what the shop did about it.

The incident keeps only ids, counts, field names and the owner's own words: the affected
customers are a frozen list of their ids, never their data. Everything the owner does to
it is also a ledger entry (``incidents.services``).
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Incident(models.Model):
    class Cause(models.TextChoices):
        OUTSIDE_ATTACK = "outside_attack", _("外部からの攻撃（不正アクセス）")
        LOST_MEDIUM = "lost_medium", _("記録媒体（USBメモリ等）の紛失")
        LOST_COMPUTER = "lost_computer", _("パソコン・スマートフォンの紛失・盗難")
        MISDIRECTED = "misdirected", _("メール・アップロードの誤送信")
        INSIDER = "insider", _("従業者による持ち出し")
        SKIMMING = "skimming", _("入力情報の窃取（スキミング）")
        OTHER = "other", _("その他")

    class Certainty(models.TextChoices):
        CONFIRMED = "confirmed", _("発生した")
        SUSPECTED = "suspected", _("発生したおそれがある")

    class Protection(models.TextChoices):
        """Was what left the shop protected by high-grade encryption, its keys apart?"""

        UNKNOWN = "unknown", _("まだ分からない")
        ENCRYPTED_KEYS_APART = (
            "encrypted",
            _("暗号化されたままで、鍵（.env など）は漏れていない（例：データベースのコピーだけ）"),
        )
        READABLE = (
            "readable",
            _("読める状態だった（画面での閲覧・表示、パスワードごと渡ったエクスポート等）"),
        )

    class ScopeSource(models.TextChoices):
        EXPORT = "export", _("エクスポート1件の顧客")
        PERSON = "person", _("ある人が期間内に閲覧・表示・エクスポートした顧客")
        PURCHASES = "purchases", _("期間・カテゴリに当てはまる購入のある顧客")
        ALL = "all", _("すべての顧客")
        MANUAL = "manual", _("顧客IDの一覧")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(_("件名"), max_length=200)
    discovered_at = models.DateTimeField(_("発覚した日時"))
    cause = models.CharField(_("原因"), max_length=20, choices=Cause.choices)
    certainty = models.CharField(
        _("発生の確度"), max_length=10, choices=Certainty.choices, default=Certainty.SUSPECTED
    )
    what_happened = models.TextField(
        _("何が起きたか"), help_text=_("お客様の氏名・連絡先などの個人情報は書かないでください。")
    )
    protection = models.CharField(
        _("漏れたものの保護"), max_length=10, choices=Protection.choices, default=Protection.UNKNOWN
    )
    payment_data_usable = models.BooleanField(
        _("漏れたデータで決済ができるおそれがある（カード番号そのもの等）"),
        default=False,
        help_text=_("カード下4桁・有効期限・決済代行のトークンだけなら該当しません。"),
    )
    created_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, related_name="+", null=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The scope, frozen: how it was built, from what, and the ids it gave.
    scope_source = models.CharField(
        _("対象の決め方"), max_length=10, choices=ScopeSource.choices, blank=True
    )
    scope_params = models.JSONField(_("対象の条件"), default=dict, blank=True)
    scope_customer_ids = models.JSONField(_("対象の顧客ID"), default=list, blank=True)
    scope_fields = models.JSONField(_("漏えい等した項目"), default=list, blank=True)
    scope_sensitive = models.BooleanField(_("要配慮の購入履歴を含む"), default=False)
    scope_frozen_at = models.DateTimeField(_("対象を確定した日時"), null=True, blank=True)
    preliminary_reported_at = models.DateTimeField(_("速報の提出日"), null=True, blank=True)
    final_reported_at = models.DateTimeField(_("確報の提出日"), null=True, blank=True)
    public_title = models.CharField(
        _("公表する件名"),
        max_length=200,
        blank=True,
        help_text=_("公表ページに出る件名です。上の件名（店内で使う件名）は公表されません。"),
    )
    public_slug = models.SlugField(
        _("公表ページのURL"),
        max_length=60,
        unique=True,
        null=True,
        blank=True,
        help_text=_("/notice/ の後ろに続く英数字（例：2026-12-info）。"),
    )
    public_text = models.TextField(_("公表する文面"), blank=True)
    public_contact = models.CharField(
        _("お問い合わせ先"),
        max_length=300,
        blank=True,
        help_text=_(
            "お客様へのお知らせと公表ページに出る、お店の窓口（名称・電話番号・メールアドレス・"
            "受付時間）。お知らせを送る前と公表する前に必ず書いてください。"
        ),
    )
    # The mail each affected customer receives: the customer's own words, not the memo.
    customer_what_happened = models.TextField(
        _("お客様への説明（何が起きたか）"),
        blank=True,
        help_text=_(
            "お客様に向けて、何が起きたかを書きます（上の「何が起きたか」は店内のメモで、"
            "お客様には送られません）。"
        ),
    )
    customer_advice = models.TextField(
        _("お客様にお願いすること"),
        blank=True,
        help_text=_(
            "例：当店を名乗る不審なメールや電話にご注意ください。パスワードを他のサービスでも"
            "使っている場合は変更してください。"
        ),
    )
    # The explicit publish step: what went public, when and by whom. The public page shows
    # this copy only, so later edits go public only when published again.
    published_at = models.DateTimeField(_("公表した日時"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        "auth.User",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    published_notice = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["-discovered_at"]
        verbose_name = _("漏えい等の事案")
        verbose_name_plural = _("漏えい等の事案")

    def __str__(self):
        return self.title

    @property
    def people(self):
        return len(self.scope_customer_ids)


class ReportDraft(models.Model):
    """One saved version of the report to the PPC (PPC rules art. 8); never edited,
    each save is a new version."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="reports")
    version = models.PositiveIntegerField()
    items = models.JSONField(default=dict)
    saved_by = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+")
    saved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["incident", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "version"], name="incident_report_version")
        ]

    def __str__(self):
        return f"{self.incident} v{self.version}"


class Notice(models.Model):
    """How one affected customer was told (or could not be)."""

    class Method(models.TextChoices):
        EMAIL = "email", _("メール（1通に宛先1人）")
        UNREACHABLE = "unreachable", _("連絡できない（公表で代える）")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notices")
    customer_id = models.UUIDField()
    method = models.CharField(max_length=12, choices=Method.choices)
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "customer_id"], name="incident_notice_once")
        ]

    def __str__(self):
        return f"{self.incident_id} {self.customer_id} {self.method}"


class Measure(models.Model):
    """One recommended measure after the incident, ticked with who and when."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="measures")
    key = models.CharField(max_length=40)
    done_by = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+")
    done_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "key"], name="incident_measure_once")
        ]

    def __str__(self):
        return f"{self.incident_id} {self.key}"
