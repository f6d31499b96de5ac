"""Privacy-policy versions, the shop's published facts, consent, third-party provision
records and customers' own data requests."""

import hashlib
import json
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policy.content import body_blocks, canonical_articles, content_hash, normalise_text
from vault.mail import ShopIdentity


class PublishedVersionError(Exception):
    """Someone tried to change or delete a published policy version."""


class ShopProfile(models.Model):
    """The facts APPI requires the shop to publish; one row, edited by the owner."""

    business_name_ja = models.CharField(_("事業者名（日本語）"), max_length=200)
    business_name_en = models.CharField(_("事業者名（英語）"), max_length=200)
    address_ja = models.CharField(_("住所（日本語）"), max_length=300)
    address_en = models.CharField(_("住所（英語）"), max_length=300)
    representative_ja = models.CharField(_("代表者（日本語）"), max_length=200)
    representative_en = models.CharField(_("代表者（英語）"), max_length=200)
    contact_desk_ja = models.CharField(_("窓口の名称（日本語）"), max_length=200)
    contact_desk_en = models.CharField(_("窓口の名称（英語）"), max_length=200)
    contact_email = models.EmailField(_("窓口のメールアドレス"), blank=True)
    contact_phone = models.CharField(_("窓口の電話番号"), max_length=30, blank=True)
    contact_hours_ja = models.CharField(_("受付時間（日本語）"), max_length=200, blank=True)
    contact_hours_en = models.CharField(_("受付時間（英語）"), max_length=200, blank=True)
    request_procedure_ja = models.TextField(_("請求・苦情の手続（日本語）"))
    request_procedure_en = models.TextField(_("請求・苦情の手続（英語）"))
    request_fee_ja = models.CharField(_("手数料（日本語）"), max_length=200)
    request_fee_en = models.CharField(_("手数料（英語）"), max_length=200)
    safety_measures_ja = models.TextField(_("安全管理措置の概要（日本語）"))
    safety_measures_en = models.TextField(_("安全管理措置の概要（英語）"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("事業者情報")
        verbose_name_plural = _("事業者情報")

    def __str__(self):
        return str(_("事業者情報"))

    @classmethod
    def load(cls):
        """The one profile row (created empty if the seed migration's row was removed)."""
        return cls.objects.get_or_create(pk=1)[0]

    def localised(self, language):
        """The profile's texts in one language, keyed without the language suffix."""
        suffix = "en" if language == "en" else "ja"
        names = {f.name[: -len(suffix) - 1] for f in self._meta.fields if f.name.endswith("_ja")}
        facts = {name: getattr(self, f"{name}_{suffix}") for name in names}
        facts.update(contact_email=self.contact_email, contact_phone=self.contact_phone)
        facts["safety_measures_blocks"] = body_blocks(facts["safety_measures"])
        return facts


class NumberedVersionQuerySet(models.QuerySet):
    """What the policy's versions and the house rules' versions share: published ones are
    never changed or deleted, even in bulk."""

    def published(self):
        return self.filter(status=NumberedVersion.Status.PUBLISHED)

    def newest_published(self):
        return self.published().order_by("-number").first()

    def last_material_change(self):
        """The newest published version that changed something material (or version 1):
        an acceptance or consent of it or of anything newer still counts."""
        published = self.published()
        return published.filter(Q(material_change=True) | Q(number=1)).order_by("-number").first()

    def update(self, **kwargs):
        if self.filter(status=NumberedVersion.Status.PUBLISHED).exists():
            raise PublishedVersionError(f"Published {self.model.kind} cannot be changed.")
        return super().update(**kwargs)

    def delete(self):
        if self.filter(status=NumberedVersion.Status.PUBLISHED).exists():
            raise PublishedVersionError(f"Published {self.model.kind} cannot be deleted.")
        return super().delete()


class NumberedVersion(models.Model):
    """A document kept in numbered versions (the policy, the house rules): a draft has
    no number; publishing gives it the next one and freezes it, so a published version is
    never changed or deleted. Subclasses name their ``kind`` (for refusals) and keep
    their own text, hash and ``material_change``."""

    kind = "versions"

    class Status(models.TextChoices):
        DRAFT = "draft", _("下書き")
        PUBLISHED = "published", _("公開済み")

    number = models.PositiveIntegerField(_("版"), null=True, blank=True, unique=True)
    status = models.CharField(
        _("状態"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("作成者"),
    )
    published_at = models.DateTimeField(_("公開日時"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("公開者"),
    )

    class Meta:
        abstract = True
        ordering = [models.F("number").desc(nulls_first=True), "-created_at"]

    def save(self, *args, **kwargs):
        if self.pk and self.is_stored_published():
            raise PublishedVersionError(
                f"{self.kind} {self.number} is published and cannot change."
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_stored_published():
            raise PublishedVersionError(f"{self.kind} {self.number} is published; it is kept.")
        return super().delete(*args, **kwargs)

    def is_stored_published(self):
        """True when the row in the database is published (whatever this object says)."""
        stored = type(self)._default_manager.filter(pk=self.pk)
        return stored.filter(status=self.Status.PUBLISHED).exists()

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED

    def previous(self):
        """The published version just before this one, or None."""
        earlier = type(self)._default_manager.published()
        if self.number:
            earlier = earlier.filter(number__lt=self.number)
        return earlier.order_by("-number").first()

    def publish(self, user, **changes):
        """Freeze this draft as the next numbered version, with ``changes`` set (call
        inside transaction.atomic)."""
        versions = type(self)._default_manager
        locked = versions.select_for_update().get(pk=self.pk)
        if locked.status != self.Status.DRAFT:
            raise PublishedVersionError("Only a draft can be published.")
        highest = versions.aggregate(Max("number"))["number__max"] or 0
        self.number = highest + 1
        self.status = self.Status.PUBLISHED
        for name, value in changes.items():
            setattr(self, name, value)
        self.published_at = timezone.now()
        self.published_by = user
        self.save()


class PolicyVersionQuerySet(NumberedVersionQuerySet):
    def current(self):
        """The published version in effect today (the newest one if none is in effect yet)."""
        newest = self.published().order_by("-number")
        return newest.filter(effective_date__lte=timezone.localdate()).first() or newest.first()

    def consent_target(self):
        """The newest published version: the one customers are asked to agree to."""
        return self.newest_published()


class PolicyVersion(NumberedVersion):
    """One version of the policy (NumberedVersion: a published one is never changed)."""

    kind = "policy versions"

    effective_date = models.DateField(_("施行日"), null=True, blank=True)
    change_summary_ja = models.TextField(_("変更の概要（日本語）"), blank=True)
    change_summary_en = models.TextField(_("変更の概要（英語）"), blank=True)
    material_change = models.BooleanField(
        _("重要な変更"),
        default=False,
        help_text=_(
            "利用目的や第三者提供の変更など、お客様に改めて同意をいただく必要がある変更です。"
        ),
    )
    articles = models.JSONField(_("条文"), default=list)
    content_hash = models.CharField(_("内容ハッシュ（SHA-256）"), max_length=64, editable=False)
    # What the outsourcee register said when this version was published (policy.register):
    # a register that says something else since prompts a new version.
    register_digest = models.CharField(max_length=64, blank=True, editable=False)
    based_on = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("元にした版"),
    )
    objects = PolicyVersionQuerySet.as_manager()

    class Meta(NumberedVersion.Meta):
        verbose_name = _("ポリシーの版")
        verbose_name_plural = _("ポリシーの版")
        permissions = [("publish_policyversion", _("ポリシーを公開する"))]

    def __str__(self):
        if self.number:
            return str(_("第%(number)s版") % {"number": self.number})
        return str(_("下書き（%(id)s）") % {"id": self.pk or "-"})

    def save(self, *args, **kwargs):
        self.articles = canonical_articles(self.articles)
        self.content_hash = content_hash(self.articles)
        super().save(*args, **kwargs)

    def change_summary(self, language):
        return self.change_summary_en if language == "en" else self.change_summary_ja

    def new_draft(self, user: User) -> "PolicyVersion":
        """A new draft with this version's articles, to be edited instead of this one."""
        return PolicyVersion.objects.create(
            articles=self.articles, based_on=self, created_by=user, effective_date=None
        )

    def publish(self, user, effective_date):
        """Freeze this draft as the next numbered version, in effect from
        ``effective_date`` (call inside transaction.atomic)."""
        super().publish(user, effective_date=effective_date)


class Channel(models.TextChoices):
    WEB = "web", _("ウェブ")
    SHOP = "shop", _("店頭")
    IMPORT = "import", _("インポート")


class ConsentRecord(models.Model):
    """A customer agreed to one version (its content hash is kept as it was then)."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="policy_consents"
    )
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="consents")
    content_hash = models.CharField(_("内容ハッシュ（SHA-256）"), max_length=64, editable=False)
    consented_at = models.DateTimeField(_("同意日時"), default=timezone.now)
    channel = models.CharField(_("経路"), max_length=10, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("記録者"),
    )
    # Set when the customer withdrew their consent (their deletion or stop-of-use request):
    # the record stays as evidence of what was agreed, and no longer counts as consent.
    withdrawn_at = models.DateTimeField(_("撤回日時"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-consented_at"]
        verbose_name = _("同意記録")
        verbose_name_plural = _("同意記録")

    def __str__(self):
        return f"{self.customer} / {self.version}"

    def save(self, *args, **kwargs):
        self.content_hash = self.version.content_hash
        super().save(*args, **kwargs)


def customers_without_consent():
    """Customers who have not agreed to the last material change (or anything newer)."""
    from customers.models import Customer

    required = PolicyVersion.objects.last_material_change()
    if required is None:
        return Customer.objects.none()
    agreed = ConsentRecord.objects.filter(
        version__number__gte=required.number, withdrawn_at__isnull=True
    )
    # An erased customer has no one left to ask.
    waiting = Customer.objects.filter(anonymised_at__isnull=True)
    return waiting.exclude(pk__in=agreed.values("customer_id"))


def _token_digest(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ConsentInvitation(models.Model):
    """A one-time link the shop sends a customer to agree to a version on the web.

    Only the SHA-256 of the random token is stored, so the database cannot be used to
    forge links; the link names no customer.
    """

    # A month: long enough for a customer to read the shop's mail, short enough that a
    # forwarded or forgotten link stops working.
    LIFETIME = timedelta(days=30)

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="policy_invitations"
    )
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("同意依頼リンク")
        verbose_name_plural = _("同意依頼リンク")

    def __str__(self):
        return f"{self.customer} / {self.version}"

    @classmethod
    def issue(cls, customer, version):
        """Create an invitation and return ``(invitation, token)``; the token is shown once."""
        token = secrets.token_urlsafe(32)
        invitation = cls.objects.create(
            customer=customer,
            version=version,
            token_digest=_token_digest(token),
            expires_at=timezone.now() + cls.LIFETIME,
        )
        return invitation, token

    @classmethod
    def find_valid(cls, token):
        """The unused, unexpired invitation for ``token``, or None."""
        return (
            cls.objects.select_related("version")
            .filter(
                token_digest=_token_digest(token or ""),
                used_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .first()
        )


def shift_years(day, years):
    """The same calendar day ``years`` later (or earlier); 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class DataItem(models.TextChoices):
    """The kinds of customer data the shop hands on, one list for the third-party
    provision records and the register of outsourcees (``Outsourcee``), so that the two
    name each item alike."""

    NAME = "name", _("氏名")
    GENDER = "gender", _("性別")
    ADDRESS = "address", _("住所")
    PHONE = "phone", _("電話番号")
    EMAIL = "email", _("メールアドレス")
    PURCHASES = "purchases", _("購入履歴")
    CARD_TOKEN = "card_token", _("カード情報（決済代行のトークン）")


class ThirdPartyProvision(models.Model):
    """A record of giving customers' data to a third party (APPI art. 29, Article 4)."""

    # APPI's enforcement rules keep these records for three years from their making.
    RETENTION_YEARS = 3

    class Basis(models.TextChoices):
        CONSENT = "consent", _("第4条(1) ご本人の同意")
        LAW = "law", _("第4条(3) 法令に基づく場合")
        VITAL = "vital", _("第4条(4) 生命・身体・財産の保護（同意取得が困難）")
        OPT_OUT = "opt_out", _("第4条(5) 事前の公表（オプトアウト）")

    DataItem = DataItem
    # A card token goes only to the payment service, entered in the register.
    ITEM_CHOICES = [(item.value, item.label) for item in DataItem if item != DataItem.CARD_TOKEN]

    recipient_name = models.CharField(_("提供先の名称"), max_length=200)
    recipient_address = models.CharField(_("提供先の住所"), max_length=300)
    recipient_representative = models.CharField(_("提供先の代表者"), max_length=200)
    provided_on = models.DateField(_("提供日"))
    customers = models.ManyToManyField(
        "customers.Customer", related_name="third_party_provisions", verbose_name=_("対象の顧客")
    )
    data_items = models.JSONField(_("提供した項目"), default=list)
    basis = models.CharField(_("根拠（第4条の該当号）"), max_length=10, choices=Basis.choices)
    consent_evidence = models.TextField(_("同意等の証跡"), blank=True)
    recorded_on = models.DateField(_("記録作成日"), default=timezone.localdate, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("記録者"),
    )

    class Meta:
        ordering = ["-provided_on", "-id"]
        verbose_name = _("第三者提供記録")
        verbose_name_plural = _("第三者提供記録")

    def __str__(self):
        return f"{self.recipient_name} ({self.provided_on})"

    @classmethod
    def expired(cls, today=None):
        """Records kept longer than RETENTION_YEARS, counted from the day each was made."""
        cutoff = shift_years(today or timezone.localdate(), -cls.RETENTION_YEARS)
        return cls.objects.filter(recorded_on__lt=cutoff)

    @property
    def keep_until(self):
        """The last day this record must be kept."""
        return shift_years(self.recorded_on, self.RETENTION_YEARS)


def shop_identity():
    """The shop as every mail names it (vault.mail): 事業者情報's name and contact desk."""
    profile = ShopProfile.load()
    desk = " ".join(x for x in (profile.contact_desk_ja, profile.contact_email) if x)
    signature = "\n".join(x for x in (profile.business_name_ja, desk) if x)
    return ShopIdentity(name=profile.business_name_ja, signature=signature)


class HouseRulesQuerySet(NumberedVersionQuerySet):
    def in_force(self):
        """The newest published version: the one every person accepts."""
        return self.newest_published()


def rules_hash(body_ja, body_en):
    """SHA-256 (hex) of both languages' normalised text: what an acceptance names."""
    payload = json.dumps(
        {"ja": normalise_text(body_ja), "en": normalise_text(body_en)},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class HouseRulesVersion(NumberedVersion):
    """One version of the shop's rules for handling customer data (所内ルール), kept like
    the policy's (NumberedVersion)."""

    kind = "house rules"

    body_ja = models.TextField(_("ルール（日本語）"))
    body_en = models.TextField(_("ルール（英語）"))
    change_summary_ja = models.TextField(_("変更の概要（日本語）"), blank=True)
    material_change = models.BooleanField(
        _("重要な変更"),
        default=False,
        help_text=_(
            "公開すると、全員がもう一度ルールを読んで同意するまで顧客のページを開けません。"
        ),
    )
    content_hash = models.CharField(_("内容ハッシュ（SHA-256）"), max_length=64, editable=False)
    objects = HouseRulesQuerySet.as_manager()

    class Meta(NumberedVersion.Meta):
        verbose_name = _("所内ルール")
        verbose_name_plural = _("所内ルール")
        permissions = [("publish_houserulesversion", _("所内ルールを公開する"))]

    def __str__(self):
        if self.number:
            return str(_("所内ルール 第%(number)s版") % {"number": self.number})
        return str(_("所内ルールの下書き（%(id)s）") % {"id": self.pk or "-"})

    def save(self, *args, **kwargs):
        self.body_ja, self.body_en = normalise_text(self.body_ja), normalise_text(self.body_en)
        self.content_hash = rules_hash(self.body_ja, self.body_en)
        super().save(*args, **kwargs)

    def body(self, language):
        return self.body_en if language == "en" else self.body_ja

    def blocks(self, language):
        return body_blocks(self.body(language))


class RulesAcceptance(models.Model):
    """A person read and accepted one version of the house rules (its hash as it was)."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="rules_acceptances",
        verbose_name=_("利用者"),
    )
    version = models.ForeignKey(
        HouseRulesVersion,
        on_delete=models.PROTECT,
        related_name="acceptances",
        verbose_name=_("版"),
    )
    content_hash = models.CharField(_("内容ハッシュ（SHA-256）"), max_length=64, editable=False)
    accepted_at = models.DateTimeField(_("同意日時"), default=timezone.now)

    class Meta:
        ordering = ["-accepted_at"]
        indexes = [models.Index(fields=["person", "-accepted_at"])]
        verbose_name = _("所内ルールへの同意")
        verbose_name_plural = _("所内ルールへの同意")

    def __str__(self):
        return f"{self.person} / {self.version}"

    def save(self, *args, **kwargs):
        self.content_hash = self.version.content_hash
        super().save(*args, **kwargs)


class Outsourcee(models.Model):
    """One service that handles the shop's customer data (APPI art. 25 委託, art. 27
    第三者提供, art. 28 外国にある第三者): what it receives, on what basis, where the data
    is stored, and when the shop last checked its security terms. The policy's public
    statement of entrusted parties and foreign countries is generated from these rows
    (``policy.register``)."""

    class Service(models.TextChoices):
        HOSTING = "hosting", _("サーバー・ホスティング")
        PAYMENT = "payment", _("決済代行")
        CARRIER = "carrier", _("配送")
        MAIL = "mail", _("メール配信")
        PLATFORM = "platform", _("ネットショップのプラットフォーム")
        OTHER = "other", _("その他")

    class Basis(models.TextChoices):
        ENTRUSTMENT = "entrustment", _("委託（第4条(2)）")
        THIRD_PARTY = "third_party", _("第三者提供（第4条(1)・ご本人の同意）")

    DataItem = DataItem
    ITEM_CHOICES = DataItem.choices

    name_ja = models.CharField(_("名称（日本語）"), max_length=200)
    name_en = models.CharField(_("名称（英語）"), max_length=200)
    service = models.CharField(_("種類"), max_length=20, choices=Service.choices)
    work_ja = models.CharField(_("委託する業務（日本語）"), max_length=200)
    work_en = models.CharField(_("委託する業務（英語）"), max_length=200)
    data_items = models.JSONField(_("渡す項目"), default=list)
    basis = models.CharField(_("根拠"), max_length=20, choices=Basis.choices)
    country = models.CharField(_("データを保管する国"), max_length=2, default="JP")
    terms_checked_on = models.DateField(
        _("安全管理の規約を確認した日"),
        null=True,
        blank=True,
        help_text=_(
            "委託先の監督（個人情報保護法 第25条）: 規約やセキュリティの資料を確かめた日です。"
        ),
    )
    # The carrier's label layout (shipping.carriers) for a carrier: the label routines
    # of that carrier name this entry.
    carrier_code = models.CharField(_("配送ラベルの形式"), max_length=30, blank=True)
    in_use = models.BooleanField(
        _("利用中"),
        default=True,
        help_text=_("利用をやめたらチェックを外します（記録は残ります）。"),
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        ordering = ["service", "name_ja"]
        verbose_name = _("委託先・提供先の登録簿")
        verbose_name_plural = _("委託先・提供先の登録簿")

    def __str__(self):
        return self.name_ja

    def data_item_labels(self):
        labels = dict(self.DataItem.choices)
        return [str(labels.get(item, item)) for item in self.data_items]
