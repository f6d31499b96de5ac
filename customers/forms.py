"""Forms of the customer vault: change forms that never show a stored value, the reveal
reason form and the exact-search form."""

import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.fields import masked_value
from customers.masking import mask_product_name
from customers.models import PERSONAL_FIELDS, Customer, Purchase
from customers.validators import contains_card_number
from vault.log import scrub

KEEP_HELP = _("空欄のままなら現在の値を保持します。入力すると置き換えます。")


class ValueHidingForm(forms.ModelForm):
    """Editing is not seeing (DESIGN invariant 7).

    On change, each hidden field starts empty with the masked value as its placeholder:
    left blank it keeps the stored value, typed it replaces it. The stored value is never
    written into the page.
    """

    def hidden_fields_of_instance(self):
        """The fields whose stored value this form must not show."""
        return ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = not self.instance._state.adding
        if self.editing:
            for name in self.hidden_fields_of_instance():
                if name in self.fields:
                    self._hide_stored_value(name, self.mask(name))

    def mask(self, name):
        return masked_value(self.instance, name)

    def _hide_stored_value(self, name, masked):
        field = self.fields[name]
        field.required = False
        field.help_text = KEEP_HELP
        self.initial[name] = ""
        if isinstance(field, forms.ChoiceField):
            choices = [c for c in field.choices if c[0] != ""]
            field.choices = [("", _("変更しない（現在: %(masked)s）") % {"masked": masked or "-"})]
            field.choices += choices
        else:
            field.widget.attrs["placeholder"] = masked or _("（未入力）")
            field.widget.attrs["autocomplete"] = "off"

    def clean(self):
        cleaned = super().clean()
        if self.editing:
            for name in self.hidden_fields_of_instance():
                if name in self.fields and name not in self.errors and not cleaned.get(name):
                    cleaned[name] = getattr(self.instance, name)
        return cleaned


class CustomerForm(ValueHidingForm):
    class Meta:
        model = Customer
        fields = PERSONAL_FIELDS

    def hidden_fields_of_instance(self):
        return PERSONAL_FIELDS


class PurchaseForm(ValueHidingForm):
    """A sensitive purchase's product name is hidden like a customer's personal fields."""

    class Meta:
        model = Purchase
        fields = ("customer", "category", "product_name", "amount", "purchased_on")

    def hidden_fields_of_instance(self):
        return ("product_name",) if self.instance.category.sensitive else ()

    def mask(self, name):
        return mask_product_name(self.instance.product_name)


REVEAL_REASONS = [
    ("inquiry", _("お客様からの問い合わせ対応")),
    ("shipping", _("配送・発送の対応")),
    ("refund", _("返品・返金の対応")),
    ("correction", _("登録内容の確認・訂正")),
    ("other", _("その他（補足に記入）")),
]
# Enough for one sentence of context; a reason is not a place for notes about a person.
REASON_NOTE_MAX_LENGTH = 200


def looks_personal(text, known_values=()):
    """True when ``text`` holds an e-mail, a phone- or card-like number, or a known value."""
    normalised = unicodedata.normalize("NFKC", text)
    if scrub(normalised) != normalised or contains_card_number(normalised):
        return True
    squeezed = "".join(normalised.split()).lower()
    for value in known_values:
        value = "".join(unicodedata.normalize("NFKC", str(value or "")).split()).lower()
        if len(value) >= 2 and value in squeezed:
            return True
    return False


class RevealForm(forms.Form):
    """Why a person needs to see one value. The reason is recorded in the audit ledger,
    so it must not itself carry personal data."""

    reason_code = forms.ChoiceField(label=_("表示する理由"), choices=REVEAL_REASONS)
    note = forms.CharField(
        label=_("補足"),
        required=False,
        max_length=REASON_NOTE_MAX_LENGTH,
        help_text=_("個人情報（氏名・メールアドレス・電話番号など）は書かないでください。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, known_values=(), **kwargs):
        self.known_values = known_values
        super().__init__(*args, **kwargs)

    def clean_note(self):
        note = " ".join(self.cleaned_data["note"].split())
        if note and looks_personal(note, self.known_values):
            raise forms.ValidationError(
                _("補足に個人情報のような内容が含まれています。個人情報を含めずに書いてください。"),
                code="personal",
            )
        return note

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason_code") == "other" and not cleaned.get("note"):
            self.add_error("note", _("「その他」を選んだ場合は補足を書いてください。"))
        return cleaned

    @property
    def reason(self):
        """The reason as recorded: its code, then the note when there is one."""
        code, note = self.cleaned_data["reason_code"], self.cleaned_data.get("note")
        return f"{code}: {note}" if note else code


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label=_("完全一致検索"), max_length=254, strip=True)
