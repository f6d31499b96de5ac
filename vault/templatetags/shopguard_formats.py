"""How the shop's people read money: ``12,345円`` in Japanese, ``¥12,345`` in English."""

from typing import Any

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def yen(amount: Any) -> Any:
    """An amount of yen with thousands separators, in the current language's way.

    Yen have no minor unit, so the amount is shown as a whole number.
    """
    if amount is None or amount == "":
        return ""
    try:
        number = f"{int(amount):,}"
    except (TypeError, ValueError):
        return amount
    if (get_language() or "ja").startswith("en"):
        return f"¥{number}"
    return f"{number}円"
