"""The public forms of customers' own requests."""

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.fields import fold
from customers.validators import FoldedRegexField, refuse_card_numbers, validate_phone
from datarequests.models import DataRequest


class DataRequestForm(forms.ModelForm):
    """The public form: a customer asks to see, correct or delete their information."""

    # No blank choice: nothing is chosen until the customer chooses (the legend asks).
    kind = forms.ChoiceField(
        label=_("ご請求の種類"), choices=DataRequest.Kind.choices, widget=forms.RadioSelect
    )
    email = forms.EmailField(
        label=_("メールアドレス"), max_length=254, help_text=_("ご本人確認とご連絡に使います。")
    )

    class Meta:
        model = DataRequest
        fields = ["kind", "name", "email", "phone", "details"]
        widgets = {
            "details": forms.Textarea(attrs={"rows": 5}),
        }
        help_texts = {
            "details": _(
                "訂正の場合は正しい内容を、それ以外は分かる範囲でご記入ください。"
                "カード番号は書かないでください。"
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].validators.append(validate_phone)
        for name in ("name", "phone", "details"):
            self.fields[name].validators.append(refuse_card_numbers)

    # Folded like the customer's own name and phone (customers.fields) before they are
    # validated and stored: 「０９０ー１２３４ー５６７８」 is 「090-1234-5678」 and 「ﾔﾏﾀﾞ」 is
    # 「ヤマダ」, so the request meets the customer it is about.
    def clean_name(self):
        return fold("name", self.cleaned_data["name"])

    def clean_phone(self):
        return fold("phone", self.cleaned_data["phone"])


class VerificationCodeForm(forms.Form):
    """The identity-check code the customer received by mail."""

    code = FoldedRegexField(
        label=_("ご本人確認コード（6桁）"),
        regex=r"^[0-9]{6}$",
        max_length=6,
        error_messages={"invalid": _("6桁の数字で入力してください。")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def clean_code(self):
        return self.cleaned_data["code"].strip()
