from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dashboard.models import Statement

# The pack's period by default: the past year, what a yearly review or a card-company
# questionnaire asks about.
DEFAULT_PERIOD = timedelta(days=365)


class PeriodForm(forms.Form):
    since = forms.DateField(label=_("開始日"), widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("終了日"), widget=forms.DateInput(attrs={"type": "date"}))

    @classmethod
    def initial_period(cls):
        today = timezone.localdate()
        return {"since": today - DEFAULT_PERIOD, "until": today}

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("開始日は終了日より前にしてください。"))
        return data


class StatementForm(forms.ModelForm):
    class Meta:
        model = Statement
        fields = ("answer", "stated_by", "note")
