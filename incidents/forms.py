"""The owner's forms: the incident itself, its scope, its report draft."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from customers.models import Category
from exports.models import ExportRequest
from incidents import scope
from incidents.models import Incident
from vault.log import looks_personal

NO_PERSONAL = _(
    "メールアドレスや長い数字（電話番号・カード番号など）のような個人情報は書かないでください。"
    "お店の連絡先は「お問い合わせ先」に書いてください。"
)


class IncidentForm(forms.ModelForm):
    class Meta:
        model = Incident
        fields = [
            "title",
            "discovered_at",
            "cause",
            "certainty",
            "what_happened",
            "protection",
            "payment_data_usable",
            "preliminary_reported_at",
            "final_reported_at",
            "customer_what_happened",
            "customer_advice",
            "public_contact",
            "public_title",
            "public_slug",
            "public_text",
        ]
        # One labelled field per moment (the admin's split date and time boxes have no
        # label of their own).
        widgets = {
            name: forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
            for name in ("discovered_at", "preliminary_reported_at", "final_reported_at")
        }

    def _plain(self, name):
        value = self.cleaned_data.get(name) or ""
        if looks_personal(value):
            raise ValidationError(NO_PERSONAL)
        return value

    def clean_title(self):
        return self._plain("title")

    def clean_what_happened(self):
        return self._plain("what_happened")

    def clean_public_text(self):
        return self._plain("public_text")

    def clean_public_title(self):
        return self._plain("public_title")

    def clean_customer_what_happened(self):
        return self._plain("customer_what_happened")

    def clean_customer_advice(self):
        return self._plain("customer_advice")


def item_choices():
    return [(name, scope.item_label(name)) for name in scope.ITEMS]


class ScopeForm(forms.Form):
    source = forms.ChoiceField(label=_("対象の決め方"), choices=Incident.ScopeSource.choices)
    export = forms.ModelChoiceField(
        label=_("エクスポート"), queryset=ExportRequest.objects.all(), required=False
    )
    person = forms.ModelChoiceField(
        label=_("その人"),
        queryset=get_user_model().objects.filter(groups__isnull=False).distinct(),
        required=False,
    )
    start = forms.DateTimeField(label=_("期間の始まり"), required=False)
    end = forms.DateTimeField(label=_("期間の終わり"), required=False)
    categories = forms.ModelMultipleChoiceField(
        label=_("カテゴリ"), queryset=Category.objects.all(), required=False
    )
    ids = forms.CharField(
        label=_("顧客ID（1行に1つ）"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    fields = forms.MultipleChoiceField(
        label=_("漏えい等した項目"),
        choices=item_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("エクスポートと「ある人」の場合は、記録から決まります。"),
    )

    def build(self):
        """The ``scope.Scope`` the form describes; a ValidationError says what is wrong."""
        data, source = self.cleaned_data, self.cleaned_data["source"]
        fields = data.get("fields") or []
        S = Incident.ScopeSource
        if source == S.EXPORT:
            if not data.get("export"):
                raise ValidationError(_("エクスポートを選んでください。"))
            return scope.from_export(data["export"].pk)
        if source == S.PERSON:
            if not (data.get("person") and data.get("start") and data.get("end")):
                raise ValidationError(_("利用者IDと期間を入力してください。"))
            return scope.from_person(data["person"].pk, data["start"], data["end"])
        if not fields:
            raise ValidationError(_("漏えい等した項目を選んでください。"))
        if source == S.PURCHASES:
            start, end = data.get("start"), data.get("end")
            return scope.from_purchases(
                fields,
                start=start.date() if start else None,
                end=end.date() if end else None,
                category_ids=[c.pk for c in data.get("categories") or []],
            )
        if source == S.ALL:
            return scope.everyone(fields)
        return scope.manual(data.get("ids") or "", fields)


REPORT_ITEMS = [
    ("summary", _("概要")),
    ("items", _("漏えい等が発生し、又は発生したおそれがある個人データの項目")),
    ("people", _("本人の数")),
    ("cause", _("原因")),
    ("secondary", _("二次被害又はそのおそれの有無及びその内容")),
    ("response", _("本人への対応の実施状況")),
    ("announcement", _("公表の実施状況")),
    ("measures", _("再発防止のための措置")),
    ("other", _("その他参考となる事項")),
]


class ReportForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in REPORT_ITEMS:
            self.fields[key] = forms.CharField(
                label=label,
                required=False,
                max_length=5000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def clean(self):
        data = super().clean()
        for key, _label in REPORT_ITEMS:
            if looks_personal(data.get(key) or ""):
                self.add_error(key, NO_PERSONAL)
        return data
