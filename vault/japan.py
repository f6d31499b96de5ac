"""Japanese reference data shared by import, masking and the demo."""

import re
import unicodedata

import phonenumbers

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
