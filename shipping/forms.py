"""The forms of the label work: the owner's routine and the carrier's tracking file."""

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Category
from shipping.carriers import CARRIER_CHOICES, LAYOUTS
from shipping.models import LabelRoutine

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
