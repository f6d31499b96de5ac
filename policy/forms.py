from django import forms
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.validators import refuse_card_numbers
from policy.content import MaterialChange, language_gaps, material_changes
from policy.countries import CHOICES as COUNTRY_CHOICES
from policy.models import HouseRulesVersion, Outsourcee, PolicyVersion, ThirdPartyProvision
from policy.register import register_digest

# Long enough for any article of a shop's policy, short enough that comparing two
# versions character by character stays instant.
ARTICLE_BODY_MAX = 5000


def describe_material_change(change):
    """One line of the owner's prompt for a ``policy.content.MaterialChange``."""
    values = {"number": change.article, "text": change.text}
    if change.kind == "register_changed":
        return _(
            "委託先・提供先の登録簿が、前の版の公開のあとに変わっています"
            "（公表する委託先・提供先や国が変わります）。"
        )
    if change.kind == "purpose_added":
        return _("第%(number)s条に利用目的が加わっています: %(text)s") % values
    if change.text:
        return _("第%(number)s条に第三者への提供の場合が加わっています: %(text)s") % values
    return _("第%(number)s条で第三者への言及が増えています。") % values


def describe_language_gap(gap):
    """One line of the refusal to publish: what only one language of a version names."""
    values = {"number": gap.article, "text": gap.text}
    if gap.kind == "item" and gap.only_in == "ja":
        return (
            _("第%(number)s条: 日本語にだけある項目「%(text)s」（英語にこの番号の項目なし）")
            % values
        )
    if gap.kind == "item":
        return (
            _("第%(number)s条: 英語にだけある項目「%(text)s」（日本語にこの番号の項目なし）")
            % values
        )
    if gap.only_in == "ja":
        return _("第%(number)s条: 日本語だけが国「%(text)s」を挙げています") % values
    return _("第%(number)s条: 英語だけが国「%(text)s」を挙げています") % values


def declined_material_change_field(required):
    return forms.BooleanField(
        label=_("重要な変更には当たらないことを確認しました"),
        help_text=_(
            "利用目的の追加や第三者への提供が見つかったのに「重要な変更」のチェックを"
            "外すときだけ、ここにチェックを入れてください。"
        ),
        required=required,
    )


def material_changes_against_published(version, articles):
    """What in ``articles`` may be material against the version before ``version``, and
    a register that says something else since that version (policy.register)."""
    previous = version.previous()
    if previous is None:
        return []
    changes = material_changes(previous.articles, articles)
    if previous.register_digest and previous.register_digest != register_digest():
        changes.append(MaterialChange("register_changed", 0, ""))
    return changes


class MaterialChangePrompt:
    """What the owner's prompt lists (``material_changes`` is set by the form)."""

    material_changes = ()

    def material_change_lines(self):
        return [describe_material_change(change) for change in self.material_changes]


class PublishForm(MaterialChangePrompt, forms.Form):
    effective_date = forms.DateField(
        label=_("施行日"), widget=forms.DateInput(attrs={"type": "date"})
    )
    confirm = forms.BooleanField(
        label=_("この内容で公開します。公開した版は変更できません。"), required=True
    )

    def __init__(self, *args, version, **kwargs):
        self.version = version
        super().__init__(*args, **kwargs)
        # Publishing what looks like a material change as an ordinary one takes an
        # explicit word from the owner: the consent tools trust the box.
        self.material_changes = material_changes_against_published(version, version.articles)
        if self.material_changes and not version.material_change:
            self.fields["material_change_declined"] = declined_material_change_field(True)

    def clean_effective_date(self):
        day = self.cleaned_data["effective_date"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("施行日に過去の日付は指定できません。"))
        return day

    def clean(self):
        gaps = language_gaps(self.version.articles)
        if gaps:
            # Today's English Article 4 once silently lacked a newly added third party:
            # what one language promises, the other must promise too.
            raise forms.ValidationError(
                [_("日本語と英語で、挙げている内容が違います。そろえてから公開してください。")]
                + [describe_language_gap(gap) for gap in gaps]
            )
        previous = self.version.previous()
        if previous is not None:
            if not self.version.change_summary_ja.strip():
                raise forms.ValidationError(
                    _("変更の概要（日本語）を入力してから公開してください。")
                )
            if previous.content_hash == self.version.content_hash:
                raise forms.ValidationError(_("前の版と内容が同じです。条文を変更してください。"))
        return super().clean()


def article_field_name(number, key):
    return f"article_{number}_{key}"


class PolicyVersionForm(MaterialChangePrompt, forms.ModelForm):
    """A draft's details plus one title and body per article and language."""

    material_change_declined = declined_material_change_field(False)

    class Meta:
        model = PolicyVersion
        fields = ["material_change", "change_summary_ja", "change_summary_en"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_article_fields()
        # The box starts ticked when the stored draft adds a purpose or a third party;
        # clean() looks again at what is submitted.
        self.material_changes = material_changes_against_published(
            self.instance, self.instance.articles
        )
        if self.material_changes and not self.is_bound:
            self.initial["material_change"] = True

    def add_article_fields(self):
        for article in self.instance.articles:
            number = article["number"]
            for key, label, widget in self.article_keys():
                self.fields[article_field_name(number, key)] = forms.CharField(
                    label=label,
                    initial=article.get(key, ""),
                    max_length=200 if key.startswith("title") else ARTICLE_BODY_MAX,
                    widget=widget,
                    validators=[refuse_card_numbers],
                    strip=True,
                )

    @staticmethod
    def article_keys():
        body = forms.Textarea(attrs={"rows": 8, "cols": 80})
        return [
            ("title_ja", _("見出し（日本語）"), forms.TextInput(attrs={"size": 60})),
            ("title_en", _("見出し（英語）"), forms.TextInput(attrs={"size": 60})),
            ("body_ja", _("本文（日本語）"), body),
            ("body_en", _("本文（英語）"), body),
        ]

    def submitted_articles(self):
        return [
            {
                "number": article["number"],
                **{
                    key: self.cleaned_data.get(article_field_name(article["number"], key), "")
                    for key, _label, _widget in self.article_keys()
                },
            }
            for article in self.instance.articles
        ]

    def clean(self):
        cleaned = super().clean()
        self.material_changes = material_changes_against_published(
            self.instance, self.submitted_articles()
        )
        declined = cleaned.get("material_change_declined")
        if self.material_changes and not cleaned.get("material_change") and not declined:
            self.add_error(
                "material_change",
                _(
                    "利用目的の追加又は第三者への提供が見つかりました。「重要な変更」に"
                    "チェックを入れるか、重要な変更には当たらないことを確認してください。"
                ),
            )
        return cleaned

    def save(self, commit=True):
        self.instance.articles = self.submitted_articles()
        return super().save(commit)


class ThirdPartyProvisionForm(forms.ModelForm):
    data_items = forms.MultipleChoiceField(
        label=_("提供した項目"),
        choices=ThirdPartyProvision.ITEM_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ThirdPartyProvision
        fields = [
            "recipient_name",
            "recipient_address",
            "recipient_representative",
            "provided_on",
            "customers",
            "data_items",
            "basis",
            "consent_evidence",
        ]
        help_texts = {
            "basis": _(
                "業務委託先（配送業者、決済代行会社など、当店の業務をお客様のために委託する"
                "事業者）への提供は、第三者提供に当たらないため記録は不要です"
                "（第4条(2)、個人情報保護法第27条第5項第1号）。ここには委託以外の提供だけを"
                "記録してください。"
            ),
            "consent_evidence": _(
                "同意の場合は、同意を得た日・方法・同意書などの所在を記入してください"
                "（個人情報は書かないでください）。"
            ),
            "customers": _("提供したデータに含まれるお客様。"),
        }

    def clean(self):
        cleaned = super().clean()
        basis = cleaned.get("basis")
        if basis == ThirdPartyProvision.Basis.CONSENT and not cleaned.get("consent_evidence"):
            self.add_error(
                "consent_evidence", _("本人の同意に基づく提供では、同意の証跡が必要です。")
            )
        return cleaned


# Long enough for a page of house rules, short enough to read before the customer pages.
RULES_BODY_MAX = 10000


class HouseRulesForm(forms.ModelForm):
    """A draft of the house rules: both languages, the summary and the material box."""

    class Meta:
        model = HouseRulesVersion
        fields = ["material_change", "change_summary_ja", "body_ja", "body_en"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A published version's page shows these read-only: the form then lacks them.
        for name in ("body_ja", "body_en"):
            if name not in self.fields:
                continue
            self.fields[name].max_length = RULES_BODY_MAX
            self.fields[name].validators += [
                refuse_card_numbers,
                MaxLengthValidator(RULES_BODY_MAX),
            ]
            self.fields[name].widget.attrs.update(rows=18, cols=90)
        if "change_summary_ja" in self.fields:
            self.fields["change_summary_ja"].widget.attrs.update(rows=3, cols=90)


class PublishRulesForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("この内容で公開します。公開した版は変更できません。"), required=True
    )

    def __init__(self, *args, version, **kwargs):
        self.version = version
        super().__init__(*args, **kwargs)

    def clean(self):
        previous = self.version.previous()
        if previous is not None:
            if previous.content_hash == self.version.content_hash:
                raise forms.ValidationError(_("前の版と内容が同じです。ルールを変更してください。"))
            if not self.version.change_summary_ja.strip():
                raise forms.ValidationError(
                    _("変更の概要（日本語）を入力してから公開してください。")
                )
        return super().clean()


class OutsourceeForm(forms.ModelForm):
    """One register entry: the items it receives ticked, the country from the table."""

    data_items = forms.MultipleChoiceField(
        label=_("渡す項目"),
        choices=Outsourcee.ITEM_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    country = forms.ChoiceField(label=_("データを保管する国"), choices=COUNTRY_CHOICES)

    class Meta:
        model = Outsourcee
        fields = [
            "name_ja",
            "name_en",
            "service",
            "work_ja",
            "work_en",
            "data_items",
            "basis",
            "country",
            "terms_checked_on",
            "carrier_code",
            "in_use",
        ]
        widgets = {"terms_checked_on": forms.DateInput(attrs={"type": "date"})}
