"""The shop's entrusted parties (委託先) as the published policy lists them.

Apps that hand personal data to a contractor for the customer's own service (APPI art.
27(5)(i): entrustment, not a third-party provision) say so through ``offer_vendors``,
called from their ``AppConfig.ready()`` (the policy app imports no app above it). The
policy page lists what every offered source names at the time it is shown.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Vendor:
    name_ja: str
    name_en: str
    work_ja: str
    work_en: str

    def localised(self, language: str) -> dict[str, str]:
        english = language.startswith("en")
        return {
            "name": self.name_en if english else self.name_ja,
            "work": self.work_en if english else self.work_ja,
        }


_sources: list[Callable[[], list[Vendor]]] = []


def offer_vendors(source: Callable[[], list[Vendor]]) -> None:
    """Register ``source``, asked for its entrusted parties whenever the policy is shown."""
    if source not in _sources:
        _sources.append(source)


def current_vendors(language: str) -> list[dict[str, str]]:
    """Every entrusted party the registered sources name now, once each, in order."""
    seen, listed = set(), []
    for source in _sources:
        for vendor in source():
            if vendor.name_ja not in seen:
                seen.add(vendor.name_ja)
                listed.append(vendor.localised(language))
    return listed
