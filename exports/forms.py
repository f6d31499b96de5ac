"""The export request form: purpose, recipient, which customers, which fields."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from customers.fields import label
from customers.models import Category, Customer
from exports import services
from exports.models import ExportRequest
from policy import register
from policy.models import Outsourcee
from vault.log import looks_personal

Scope = ExportRequest.Scope
# The register's basis each kind of recipient must have.
REGISTER_BASIS = {
    ExportRequest.Recipient.CONTRACTOR: Outsourcee.Basis.ENTRUSTMENT,
    ExportRequest.Recipient.THIRD_PARTY: Outsourcee.Basis.THIRD_PARTY,
}


def category_choices():
    # str(category) names it in the page's language (Category.__str__).
    return [
        (c.code, _("%(name)s（要配慮）") % {"name": c} if c.sensitive else str(c))
        for c in Category.objects.all()
    ]


def _everyone_in_words():
    return str(
        _("%(scope)s（%(count)s人）")
        % {"scope": Scope.ALL.label, "count": f"{Customer.objects.count():,}"}
    )


everyone_in_words = lazy(_everyone_in_words, str)


class ExportRequestForm(forms.ModelForm):
    """``selected`` (ids chosen in the customer list) and ``search`` (a recalled exact
    search) come from the session, never from what the form posts."""

    fields = forms.MultipleChoiceField(
        label=_("項目"),
        widget=forms.CheckboxSelectMultiple,
        choices=[(name, label(name)) for name in services.EXPORTABLE_FIELDS],
    )
    categories = forms.MultipleChoiceField(
        label=_("カテゴリ"), required=False, widget=forms.CheckboxSelectMultiple
    )
    # Japanese unless asked: a request that names none gets the glossary's words.
    header_language = forms.ChoiceField(
        label=_("見出しの言語"),
        required=False,
        choices=ExportRequest.Language.choices,
        initial=ExportRequest.Language.JA,
    )

    class Meta:
        model = ExportRequest
        fields = [
            "purpose",
            "recipient",
            "outsourcee",
            "recipient_name",
            "recipient_address",
            "recipient_representative",
            "provision_basis",
            "consent_evidence",
            "scope",
            "purchases_from",
            "purchases_to",
            "categories",
            "include_purchases",
            "include_sensitive",
            "encoding",
            "header_language",
            "fields",
        ]
        widgets = {
            "purchases_from": forms.DateInput(attrs={"type": "date"}),
            "purchases_to": forms.DateInput(attrs={"type": "date"}),
        }
        help_texts = {
            "recipient": _(
                "委託先（配送業者・決済代行など、お客様へのサービスのために業務を任せる先）への"
                "提供は第三者提供に当たらず、記録は不要です。第三者提供では、ダウンロード時に"
                "第三者提供記録が自動で作成されます。"
            ),
            "include_sensitive": _(
                "要配慮カテゴリ（医薬品など）の購入は、ここを選んだときだけ含まれ、"
                "承認する人に警告が表示されます。"
            ),
        }

    def __init__(self, *args, selected=(), search=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.selected, self.search = list(selected), search
        self.fields["categories"].choices = category_choices  # read when shown or checked
        everyone = everyone_in_words()  # counted when shown, not when the form is made
        scopes = [(Scope.ALL, everyone), (Scope.PURCHASES, Scope.PURCHASES.label)]
        if self.selected:
            chosen = _("%(scope)s（%(count)s人）") % {
                "scope": Scope.SELECTED.label,
                "count": f"{len(self.selected):,}",
            }
            scopes.insert(1, (Scope.SELECTED, chosen))
        if self.search:
            scopes.insert(1, (Scope.SEARCH, Scope.SEARCH.label))
        self.fields["scope"].choices = scopes
        self.fields["outsourcee"].queryset = register.entries()
        self.fields["outsourcee"].help_text = _(
            "委託先・提供先の登録簿から選ぶと、提供先の名称が入ります。"
        )
        # What the person chose before arriving is the scope: it never widens to "all".
        if self.selected:
            self.initial["scope"] = Scope.SELECTED
        elif self.search:
            self.initial["scope"] = Scope.SEARCH

    def clean_header_language(self):
        return self.cleaned_data["header_language"] or ExportRequest.Language.JA

    def clean_purpose(self):
        purpose = self.cleaned_data["purpose"]
        if looks_personal(purpose):
            raise ValidationError(services.PERSONAL_PURPOSE_MESSAGE, code="purpose")
        return purpose

    def clean(self):
        cleaned = super().clean()
        self.check_recipient(cleaned)
        if self.errors:
            return cleaned
        services.check_request(
            purpose=cleaned["purpose"],
            fields=cleaned["fields"],
            categories=cleaned.get("categories", []),
            include_sensitive=cleaned.get("include_sensitive", False),
        )
        cleaned["customer_ids"] = services.scope_customer_ids(
            cleaned["scope"],
            selected=self.selected,
            search=self.search,
            purchases=self.purchases(cleaned),
        )
        problems = services.unencodable_problems(
            cleaned["fields"], cleaned["customer_ids"], cleaned["encoding"]
        )
        if problems:
            raise ValidationError([ValidationError(p, code="encoding") for p in problems])
        return cleaned

    def purchases(self, cleaned):
        if cleaned["scope"] != Scope.PURCHASES:
            return None
        wanted = ("purchases_from", "purchases_to", "categories")
        if not any(cleaned.get(name) for name in wanted):
            raise ValidationError(_("購入日の期間かカテゴリを指定してください。"), code="scope")
        return services.purchases_in(
            purchases_from=cleaned.get("purchases_from"),
            purchases_to=cleaned.get("purchases_to"),
            categories=cleaned["categories"],
            sensitive=cleaned.get("include_sensitive", False),
        )

    def check_recipient(self, cleaned):
        self.choose_from_register(cleaned)
        if cleaned.get("recipient") != ExportRequest.Recipient.INTERNAL and not cleaned.get(
            "recipient_name"
        ):
            self.add_error("recipient_name", _("社外への提供には提供先の名称が必要です。"))
        if cleaned.get("recipient") == ExportRequest.Recipient.THIRD_PARTY:
            for name in ("recipient_address", "recipient_representative", "provision_basis"):
                if not cleaned.get(name):
                    self.add_error(name, _("第三者提供の記録に必要です（個人情報保護法第29条）。"))

    def choose_from_register(self, cleaned):
        """The recipient's register entry: the one chosen (its basis must fit the kind of
        recipient, its name is the recipient's) or, for one typed, the entry of that name."""
        recipient, entry = cleaned.get("recipient"), cleaned.get("outsourcee")
        if recipient == ExportRequest.Recipient.INTERNAL:
            cleaned["outsourcee"] = None
            return
        if entry is None:
            cleaned["outsourcee"] = register.entry_named(cleaned.get("recipient_name", ""))
            return
        wanted = REGISTER_BASIS.get(recipient)
        if entry.basis != wanted:
            self.add_error(
                "outsourcee",
                _("登録簿でのこの提供先の根拠（%(basis)s）が、提供先の区分と合いません。")
                % {"basis": entry.get_basis_display()},
            )
        if not cleaned.get("recipient_name"):
            cleaned["recipient_name"] = entry.name_ja

    def error_codes(self):
        """The codes of every error, for the refusal entry (never the values typed)."""
        return ValidationError([e for errors in self.errors.as_data().values() for e in errors])
