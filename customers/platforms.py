"""The layouts a customer file may have: the shop platforms' own, shipped as data in
customers/presets/*.json, and the mappings people save for any other CSV (ImportPreset).

A layout maps each header, normalised (NFKC, case, spacing), to one of the importer's
keys (``KEYS``). A platform's layout names the column holding the platform's own
customer id (``id_prefix``): only there is a plain run of digits exempt from the card
guard. A saved mapping has no such exemption: a column a person mapped to the external
id is guarded like any other, because nothing says the file is the platform's.
"""

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# The presets' labels, for makemessages (the JSON files are data it does not read).
PRESET_LABELS = (
    gettext_noop("Shopify 顧客エクスポート (CSV)"),
    gettext_noop("EC-CUBE 4 会員 CSV"),
)

PRESETS_DIR = Path(__file__).resolve().parent / "presets"

# What a column can be mapped to, with the words the mapping page shows.
KEYS = {
    "external_id": _("外部ID（プラットフォームの顧客ID）"),
    "name": _("氏名（姓名を1列で）"),
    "last_name": _("姓"),
    "first_name": _("名"),
    "name_kana": _("フリガナ（1列で）"),
    "last_name_kana": _("セイ"),
    "first_name_kana": _("メイ"),
    "email": _("メールアドレス"),
    "phone": _("電話番号"),
    "zip": _("郵便番号"),
    "province": _("都道府県"),
    "city": _("市区町村"),
    "address1": _("住所1（番地）"),
    "address2": _("住所2（建物名など）"),
    "company": _("会社名"),
    "gender": _("性別"),
}
# Keys only the platforms' own layouts use (Shopify's extra columns, checked but not kept).
PLATFORM_KEYS = frozenset(
    {
        "province_code",
        "country",
        "country_code",
        "address_phone",
        "accepts_email_marketing",
        "accepts_sms_marketing",
        "total_spent",
        "total_orders",
        "note",
        "tax_exempt",
        "tags",
    }
)
IGNORE = ""  # a column mapped to nothing
NAME_KEYS = ("name", "last_name", "first_name")


def normalise_header(header):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", header)).strip().lower()


@dataclass(frozen=True)
class Layout:
    name: str
    label: str
    columns: dict  # normalised header -> key
    # Put before the file's id in Customer.external_id: "shopify", or a saved mapping's name.
    id_prefix: str = ""
    # A platform's own layout: its id column's plain digits are not a card number.
    platform: bool = False
    header_prefix: str = ""  # "default address ": folded onto the header without it
    # Each group: the file needs at least one of these headers (as the platform writes them).
    required: tuple = ()

    def key(self, header):
        """Our key for ``header`` as written in a file, or None."""
        text = normalise_header(header)
        if text in self.columns:
            return self.columns[text]
        if self.header_prefix and text.startswith(self.header_prefix):
            return self.columns.get(text.removeprefix(self.header_prefix))
        return None

    def missing(self, keys):
        """The required header groups the file's keys do not cover."""
        return [
            group
            for group in self.required
            if not any(self.columns.get(normalise_header(h)) in keys for h in group)
        ]


def read_presets(folder, make):
    """{format name: make(name, data, columns)} for every JSON preset in ``folder``, read
    in name order; ``columns`` is the preset's header -> key map with headers normalised."""
    layouts = {}
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        columns = {normalise_header(h): key for h, key in data["columns"].items()}
        layouts[path.stem] = make(path.stem, data, columns)
    return layouts


@cache
def platform_layouts():
    """{format name: Layout} for every preset shipped in customers/presets/."""
    return read_presets(
        PRESETS_DIR,
        lambda name, data, columns: Layout(
            name=name,
            label=data["label"],
            columns=columns,
            id_prefix=data.get("id_prefix", ""),
            header_prefix=data.get("header_prefix", ""),
            required=tuple(tuple(group) for group in data.get("required", ())),
            platform=True,
        ),
    )


def mapped_layout(name, mapping):
    """A person's mapping {header as written: key} as a Layout (no id exemption)."""
    columns = {normalise_header(header): key for header, key in mapping.items() if key in KEYS}
    return Layout(name=name, label=name, columns=columns, id_prefix=f"preset-{name}")


def layout_for(file_format):
    """The Layout ``file_format`` names (a platform's format name), or it if one already."""
    if isinstance(file_format, Layout):
        return file_format
    try:
        return platform_layouts()[file_format]
    except KeyError:
        raise ValueError(f"Unknown import format {file_format!r}.") from None


# Headers other CSVs commonly use (BASE, STORES, カラーミーショップ, hand-made sheets),
# offered as the mapping page's first guess; the person confirms or changes each one.
GUESSES = {
    normalise_header(header): key
    for header, key in {
        "氏名": "name",
        "名前": "name",
        "お名前": "name",
        "顧客名": "name",
        "ふりがな": "name_kana",
        "フリガナ": "name_kana",
        "氏名(カナ)": "name_kana",
        "メール": "email",
        "メールアドレス": "email",
        "Eメール": "email",
        "email": "email",
        "電話": "phone",
        "電話番号": "phone",
        "TEL": "phone",
        "郵便番号": "zip",
        "〒": "zip",
        "都道府県": "province",
        "住所": "city",
        "市区町村": "city",
        "番地": "address1",
        "建物名": "address2",
        "会社名": "company",
        "性別": "gender",
        "姓": "last_name",
        "名": "first_name",
    }.items()
}


def guess_key(header):
    """The key a column probably holds, for the mapping page's first choice ("" if none)."""
    text = normalise_header(header)
    if text in GUESSES:
        return GUESSES[text]
    for layout in platform_layouts().values():
        key = layout.key(header)
        if key in KEYS:
            return key
    return IGNORE
