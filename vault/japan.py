"""Japanese reference data shared by import, masking and the demo, and the folding of
typed Japanese text."""

import re
import unicodedata

# The 47 prefectures in JIS X 0401 order: code n is PREFECTURES[n - 1].
PREFECTURES = (
    "北海道 青森県 岩手県 宮城県 秋田県 山形県 福島県 茨城県 栃木県 群馬県 埼玉県 千葉県 "
    "東京都 神奈川県 新潟県 富山県 石川県 福井県 山梨県 長野県 岐阜県 静岡県 愛知県 三重県 "
    "滋賀県 京都府 大阪府 兵庫県 奈良県 和歌山県 鳥取県 島根県 岡山県 広島県 山口県 徳島県 "
    "香川県 愛媛県 高知県 福岡県 佐賀県 長崎県 熊本県 大分県 宮崎県 鹿児島県 沖縄県"
).split()

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


def fold_code(text: str) -> str:
    """A typed code (postal code, phone, number) in half width with ASCII hyphens."""
    return fold_width(text.translate(_HYPHENS)).translate(_HYPHENS).strip()


def normalise_postal_code(text: str) -> str:
    """「〒５３０ー０００１」, 「5300001」 -> 「530-0001」; anything else only folded."""
    code = fold_code(text).removeprefix(_POSTAL_MARK).strip()
    if len(code) == 7 and code.isascii() and code.isdigit():
        return f"{code[:3]}-{code[3:]}"
    return code
