"""The export request form."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from exports import services
from exports.models import ExportRequest
from shopguard.log import looks_personal


class ExportRequestForm(forms.ModelForm):
    fields = forms.MultipleChoiceField(
        label=_("項目"),
        widget=forms.CheckboxSelectMultiple,
        choices=[(f, Customer._meta.get_field(f).verbose_name) for f in services.EXPORTABLE_FIELDS],
    )

    class Meta:
        model = ExportRequest
        fields = [
            "purpose",
            "recipient",
            "recipient_name",
            "recipient_address",
            "recipient_representative",
            "provision_basis",
            "consent_evidence",
            "fields",
        ]
        help_texts = {
            "recipient": _(
                "委託先（配送業者・決済代行など、お客様へのサービスのために業務を任せる先）への"
                "提供は第三者提供に当たらず、記録は不要です。第三者提供では、ダウンロード時に"
                "第三者提供記録が自動で作成されます。"
            ),
        }

    def clean_purpose(self):
        purpose = self.cleaned_data["purpose"]
        if looks_personal(purpose):
            raise ValidationError(services.PERSONAL_PURPOSE_MESSAGE)
        return purpose

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("recipient") != ExportRequest.Recipient.INTERNAL and not cleaned.get(
            "recipient_name"
        ):
            self.add_error("recipient_name", _("社外への提供には提供先の名称が必要です。"))
        if cleaned.get("recipient") == ExportRequest.Recipient.THIRD_PARTY:
            for name in ("recipient_address", "recipient_representative", "provision_basis"):
                if not cleaned.get(name):
                    self.add_error(name, _("第三者提供の記録に必要です（個人情報保護法第29条）。"))
        return cleaned
