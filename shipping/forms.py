"""The forms of the label work: a gift's recipient, the owner's routine and the carrier's
tracking file."""

from django import forms
from django.utils.translation import gettext_lazy as _

from customers import masking
from customers.forms import ValueHidingForm
from customers.models import Category
from shipping.carriers import CARRIER_CHOICES, LAYOUTS
from shipping.labels import has_prefecture, postal_code
from shipping.models import LabelRoutine, Shipment
from vault.japan import domestic_phone

# The tracking file a shop uploads is the carrier's own: a few hundred rows at most.
MAX_TRACKING_FILE_BYTES = 2 * 1024 * 1024


class RoutineForm(forms.ModelForm):
    """Carrier, daily cap, the shop as sender, and one 品名 per category (the sensitive
    ones start with the neutral word)."""

    class Meta:
        model = LabelRoutine
        fields = [
            "carrier",
            "daily_cap",
            "sender_name",
            "sender_postal_code",
            "sender_address",
            "sender_phone",
        ]

    def __init__(self, *args, descriptions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = list(Category.objects.all())
        for category in self.categories:
            sensitive = _("（要配慮）") if category.sensitive else ""
            self.fields[f"item_{category.code}"] = forms.CharField(
                label=_("品名: %(category)s%(sensitive)s")
                % {"category": category.name_ja, "sensitive": sensitive},
                max_length=25,
                initial=(descriptions or {}).get(category.code, ""),
                required=True,
            )

    def descriptions(self):
        return {c.code: self.cleaned_data[f"item_{c.code}"] for c in self.categories}

    def clean(self):
        cleaned = super().clean()
        for category in self.categories:
            text = cleaned.get(f"item_{category.code}", "")
            if category.sensitive and text and text.strip() == category.name_ja:
                self.add_error(
                    f"item_{category.code}",
                    _("要配慮カテゴリの品名には、中身が分からない言葉（例: 日用品）を使います。"),
                )
        return cleaned


class TrackingForm(forms.Form):
    carrier = forms.ChoiceField(
        label=_("配送業者"),
        choices=[(code, name) for code, name in CARRIER_CHOICES if LAYOUTS[code].tracking],
    )
    file = forms.FileField(label=_("配送業者の発行済みデータ（CSV）"))

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > MAX_TRACKING_FILE_BYTES:
            raise forms.ValidationError(_("ファイルが大きすぎます（2MBまで）。"))
        return uploaded


GIFT_MASKS = {
    "recipient_name": masking.mask_name,
    "recipient_postal_code": masking.mask_postal_code,
    "recipient_address": masking.mask_address,
    "recipient_phone": masking.mask_phone,
}


class GiftForm(ValueHidingForm):
    """A gift's recipient: name, postal code, address (from the prefecture) and phone,
    each as a label needs it. Adding, every field is required and the customer's
    purchases not yet shipped can be ticked; changing, each field starts empty with the
    masked value as its placeholder (blank keeps it: editing is not seeing)."""

    class Meta:
        model = Shipment
        fields = ["recipient_name", "recipient_postal_code", "recipient_address", "recipient_phone"]
        widgets = {name: forms.TextInput for name in GIFT_MASKS}

    def __init__(self, *args, purchases=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.editing:
            for name in GIFT_MASKS:
                self.fields[name].required = True
        self.fields["recipient_address"].help_text = _(
            "都道府県から書き、建物名・部屋番号の前に空白を入れます。"
        )
        if purchases is not None:
            self.fields["purchases"] = forms.ModelMultipleChoiceField(
                label=_("この出荷で送る購入"),
                queryset=purchases,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields["purchases"].label_from_instance = purchase_words

    def hidden_fields_of_instance(self):
        return tuple(GIFT_MASKS)

    def mask(self, name):
        return GIFT_MASKS[name](getattr(self.instance, name))

    def clean_recipient_postal_code(self):
        value = self.cleaned_data["recipient_postal_code"].strip()
        if value and not postal_code(value):
            raise forms.ValidationError(
                _("郵便番号は7けたの数字で入れてください（例: 150-0001）。")
            )
        return postal_code(value) if value else value

    def clean_recipient_address(self):
        value = " ".join(self.cleaned_data["recipient_address"].split())
        if value and not has_prefecture(value):
            raise forms.ValidationError(_("住所は都道府県から書いてください。"))
        return value

    def clean_recipient_phone(self):
        value = self.cleaned_data["recipient_phone"].strip()
        digits = [c for c in domestic_phone(value) if c.isdigit()]
        if value and len(digits) < 10:
            raise forms.ValidationError(_("電話番号を数字で入れてください（例: 090-1234-5678）。"))
        return value


def purchase_words(purchase):
    """A purchase as the gift form lists it: date, category and amount, never the
    product's name."""
    return _("%(date)s %(category)s %(amount)s円") % {
        "date": f"{purchase.purchased_on.year}年{purchase.purchased_on.month}月"
        f"{purchase.purchased_on.day}日",
        "category": str(purchase.category),
        "amount": f"{purchase.amount:,}",
    }
