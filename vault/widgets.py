"""Form widgets whose HTML is worth writing once: the admin's action menu is the same
select on every list page a person opens, and Django writes it through a template per
option."""

from collections import OrderedDict
from typing import Any

from django import forms
from django.contrib.admin.helpers import ActionForm
from django.forms.renderers import BaseRenderer
from django.utils.safestring import SafeString
from django.utils.translation import get_language

# How many different menus are kept (per language and set of actions: a handful).
REMEMBERED = 64


class RememberedSelect(forms.Select):
    """A ``Select`` whose HTML, once written for a name, value, attributes, choices and
    language, is reused as it is: the same inputs always give the same HTML."""

    _written: "OrderedDict[tuple[object, ...], SafeString]" = OrderedDict()

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        try:
            key = (
                name,
                str(value),
                get_language(),
                tuple(sorted({**self.attrs, **(attrs or {})}.items())),
                tuple((str(option), str(label)) for option, label in self.choices),
                renderer,
            )
            hash(key)
        except TypeError:  # grouped choices or unhashable attributes: write as Django does
            return super().render(name, value, attrs, renderer)
        written = self._written.get(key)
        if written is None:
            written = super().render(name, value, attrs, renderer)
            self._written[key] = written
            while len(self._written) > REMEMBERED:
                self._written.popitem(last=False)  # the oldest first
        return written


class RememberedActionForm(ActionForm):
    """Django's list-action form with its menu written once (``RememberedSelect``)."""

    action = forms.ChoiceField(
        label=ActionForm.base_fields["action"].label, widget=RememberedSelect
    )
