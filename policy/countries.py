"""Countries as the policy names them, in Japanese and English (APPI art. 28: a customer
is told the foreign country their data goes to). One table serves the outsourcee
register's country and the check that a version's two languages name the same countries.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2 (EU for the European Union)
    name_ja: str
    name_en: str
    # Other ways the policy text may write it (matched whole, English case-insensitively
    # except all-capital abbreviations such as "US", which stay case-sensitive).
    also_ja: tuple[str, ...] = ()
    also_en: tuple[str, ...] = ()

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_ja


COUNTRIES = (
    Country("JP", "日本", "Japan"),
    Country(
        "US",
        "アメリカ合衆国",
        "the United States",
        ("米国", "アメリカ"),
        ("United States", "USA", "US", "U.S."),
    ),
    Country("SG", "シンガポール", "Singapore"),
    Country("IE", "アイルランド", "Ireland"),
    Country("DE", "ドイツ", "Germany"),
    Country("FR", "フランス", "France"),
    Country("NL", "オランダ", "the Netherlands", (), ("Netherlands",)),
    Country("GB", "イギリス", "the United Kingdom", ("英国",), ("United Kingdom", "UK")),
    Country("EU", "欧州連合", "the European Union", ("EU",), ("European Union", "EU")),
    Country("CA", "カナダ", "Canada"),
    Country("AU", "オーストラリア", "Australia"),
    Country("KR", "韓国", "South Korea", ("大韓民国",), ("Korea",)),
    Country("CN", "中国", "China", ("中華人民共和国",)),
    Country("TW", "台湾", "Taiwan"),
    Country("HK", "香港", "Hong Kong"),
    Country("IN", "インド", "India"),
    Country("VN", "ベトナム", "Vietnam", (), ("Viet Nam",)),
    Country("PH", "フィリピン", "the Philippines", (), ("Philippines",)),
    Country("TH", "タイ", "Thailand"),
)
BY_CODE = {country.code: country for country in COUNTRIES}
CHOICES = [(country.code, country.name_ja) for country in COUNTRIES]


def _english_pattern(name: str) -> re.Pattern[str]:
    bare = name.removeprefix("the ")
    flags = 0 if bare.replace(".", "").isupper() else re.IGNORECASE
    return re.compile(rf"(?<![A-Za-z]){re.escape(bare)}(?![A-Za-z])", flags)


def _japanese_pattern(name: str) -> re.Pattern[str]:
    # A name in katakana is not part of a longer katakana word (タイ, not タイミング).
    if re.fullmatch(r"[ァ-ヶー]+", name):
        return re.compile(rf"(?<![ァ-ヶー]){re.escape(name)}(?![ァ-ヶー])")
    return re.compile(re.escape(name))


# Japanese has no word breaks: a longer name is matched before a shorter one it holds
# (アメリカ合衆国 before アメリカ), and each match is blanked before the next is sought.
_JA = [
    (_japanese_pattern(name), code)
    for name, code in sorted(
        ((name, c.code) for c in COUNTRIES for name in (c.name_ja, *c.also_ja)),
        key=lambda pair: -len(pair[0]),
    )
]
_EN = [(_english_pattern(name), c.code) for c in COUNTRIES for name in (c.name_en, *c.also_en)]


def countries_named(text: str, language: str) -> set[str]:
    """The codes of the countries ``text`` names in ``language`` ("ja" or "en")."""
    found = set()
    if language == "en":
        for pattern, code in _EN:
            if pattern.search(text):
                found.add(code)
        return found
    for pattern, code in _JA:
        if pattern.search(text):
            found.add(code)
            text = pattern.sub("＿", text)
    return found


def foreign_countries_named(text: str, language: str) -> set[str]:
    """As ``countries_named``, Japan left out: the policy names Japan's own laws freely
    (「日本の法令」, "Japanese laws"); what a customer must be told is a foreign country."""
    return countries_named(text, language) - {"JP"}
