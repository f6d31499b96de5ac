"""The carriers' label-file layouts, as data: one table per carrier.

Each layout is the carrier's column list in order, each column naming where its value
comes from (a ``Source``) or a fixed value; the column lists follow the public
implementations gathered in docs/carriers.md (the carriers' own specifications could not
be read, so a changed column is a one-line change here). Every file is Shift_JIS (CP932),
comma-separated, with the header row; the recipient's honorific is 様 and the shop is the
sender. ``limits`` are the most characters a value may have in that layout: a value that
does not fit is an error to fix before any file is made, never silently cut.
"""

from dataclasses import dataclass, field
from enum import StrEnum


class Source(StrEnum):
    """Where a label column's value comes from (shipping.labels fills each one)."""

    REFERENCE = "reference"  # the shipment's own number (お客様管理番号), for tracking back
    SHIP_DATE = "ship_date"  # yyyy/mm/dd: the day the file is made
    PHONE = "phone"  # the recipient's, 090-1234-5678
    POSTAL_CODE = "postal_code"  # 123-4567
    ADDRESS = "address"  # prefecture, city and street (the first line)
    ADDRESS_REST = "address_rest"  # the building and room (the second line)
    ADDRESS_1 = "address_1"  # split into short lines for layouts that want them
    ADDRESS_2 = "address_2"
    ADDRESS_3 = "address_3"
    ADDRESS_4 = "address_4"
    NAME = "name"
    HONORIFIC = "honorific"  # 様
    SENDER_PHONE = "sender_phone"
    SENDER_POSTAL_CODE = "sender_postal_code"
    SENDER_ADDRESS = "sender_address"
    SENDER_ADDRESS_REST = "sender_address_rest"
    SENDER_NAME = "sender_name"
    ITEM = "item"  # 品名: the category's neutral description, never a product name


@dataclass(frozen=True)
class Column:
    header: str
    source: Source | None = None
    fixed: str = ""


@dataclass(frozen=True)
class Layout:
    code: str
    name: str
    columns: tuple[Column, ...]
    # The carrier as the policy's list of entrusted parties names it.
    company_ja: str = ""
    company_en: str = ""
    # Most characters per source; the address is cut into lines of ``line`` characters
    # for the layouts that want several short lines (ADDRESS_1..4).
    limits: dict[Source, int] = field(default_factory=dict)
    line: int = 0
    # Most rows per file (クリックポスト's まとめ申込み takes 40).
    max_rows: int | None = None
    # The columns of the carrier's issued-data file: our number and its tracking number.
    tracking: tuple[str, str] | None = None
    encoding: str = "cp932"

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    @property
    def sources(self) -> set[Source]:
        return {column.source for column in self.columns if column.source is not None}


def _c(header: str, source: Source | None = None, fixed: str = "") -> Column:
    return Column(header, source, fixed)


def _numbered(prefix: str, first: int, last: int, width: int = 1) -> list[Column]:
    """Empty columns ``prefix１`` .. ``prefixN`` (full-width digits, as the layouts write)."""
    full = str.maketrans("0123456789", "０１２３４５６７８９")
    return [_c(f"{prefix}{str(n).zfill(width).translate(full)}") for n in range(first, last + 1)]


S = Source

# ヤマト運輸 B2クラウド 外部データ取込: the first 42 of its 97 columns, as a small shop
# fills them (送り状種類 0 = 発払い, クール区分 0 = 通常); the rest stay empty and are left out.
YAMATO_B2 = Layout(
    code="yamato_b2",
    name="ヤマト運輸 B2クラウド",
    company_ja="ヤマト運輸株式会社",
    company_en="Yamato Transport Co., Ltd.",
    columns=(
        _c("お客様管理番号", S.REFERENCE),
        _c("送り状種類", fixed="0"),
        _c("クール区分", fixed="0"),
        _c("伝票番号"),
        _c("出荷予定日", S.SHIP_DATE),
        _c("お届け予定日"),
        _c("配達時間帯"),
        _c("お届け先コード"),
        _c("お届け先電話番号", S.PHONE),
        _c("お届け先電話番号枝番"),
        _c("お届け先郵便番号", S.POSTAL_CODE),
        _c("お届け先住所", S.ADDRESS),
        _c("お届け先住所（アパートマンション名）", S.ADDRESS_REST),
        _c("お届け先会社・部門名１"),
        _c("お届け先会社・部門名２"),
        _c("お届け先名", S.NAME),
        _c("お届け先名略称カナ"),
        _c("敬称", S.HONORIFIC),
        _c("ご依頼主コード"),
        _c("ご依頼主電話番号", S.SENDER_PHONE),
        _c("ご依頼主電話番号枝番"),
        _c("ご依頼主郵便番号", S.SENDER_POSTAL_CODE),
        _c("ご依頼主住所", S.SENDER_ADDRESS),
        _c("ご依頼主住所（アパートマンション名）", S.SENDER_ADDRESS_REST),
        _c("ご依頼主名", S.SENDER_NAME),
        _c("ご依頼主名略称カナ"),
        _c("品名コード１"),
        _c("品名１", S.ITEM),
        _c("品名コード２"),
        _c("品名２"),
        _c("荷扱い１"),
        _c("荷扱い２"),
        _c("記事"),
        _c("コレクト代金引換額（税込）"),
        _c("コレクト内消費税額等"),
        _c("営業所止置き"),
        _c("営業所コード"),
        _c("発行枚数", fixed="1"),
        _c("個数口枠の印字"),
        _c("ご請求先顧客コード"),
        _c("ご請求先分類コード"),
        _c("運賃管理番号"),
    ),
    limits={S.ADDRESS: 32, S.ADDRESS_REST: 16, S.NAME: 16, S.ITEM: 25, S.SENDER_NAME: 16},
    tracking=("お客様管理番号", "伝票番号"),
)

# 佐川急便 e飛伝 (II/III): the address in three lines of 16 characters.
SAGAWA_EHIDEN = Layout(
    code="sagawa_ehiden",
    name="佐川急便 e飛伝",
    company_ja="佐川急便株式会社",
    company_en="Sagawa Express Co., Ltd.",
    columns=(
        _c("お届け先コード取得区分"),
        _c("お届け先コード"),
        _c("お届け先電話番号", S.PHONE),
        _c("お届け先郵便番号", S.POSTAL_CODE),
        _c("お届け先住所１", S.ADDRESS_1),
        _c("お届け先住所２", S.ADDRESS_2),
        _c("お届け先住所３", S.ADDRESS_3),
        _c("お届け先名称１", S.NAME),
        _c("お届け先名称２"),
        _c("お客様管理番号", S.REFERENCE),
        _c("お客様コード"),
        _c("部署ご担当者コード取得区分"),
        _c("部署ご担当者コード"),
        _c("部署ご担当者名称"),
        _c("荷送人電話番号", S.SENDER_PHONE),
        _c("ご依頼主コード取得区分"),
        _c("ご依頼主コード"),
        _c("ご依頼主電話番号", S.SENDER_PHONE),
        _c("ご依頼主郵便番号", S.SENDER_POSTAL_CODE),
        _c("ご依頼主住所１", S.SENDER_ADDRESS),
        _c("ご依頼主住所２", S.SENDER_ADDRESS_REST),
        _c("ご依頼主名称１", S.SENDER_NAME),
        _c("ご依頼主名称２"),
        _c("荷姿"),
        _c("品名１", S.ITEM),
        *_numbered("品名", 2, 5),
        _c("荷札荷姿"),
        *_numbered("荷札品名", 1, 11),
        _c("出荷個数", fixed="1"),
        _c("スピード指定"),
        _c("クール便指定"),
        _c("配達日"),
        _c("配達指定時間帯"),
        _c("配達指定時間（時分）"),
        _c("代引金額"),
        _c("消費税"),
        _c("決済種別"),
        _c("保険金額"),
        *_numbered("指定シール", 1, 3),
        _c("営業所受取"),
        _c("SRC区分"),
        _c("営業所受取営業所コード"),
        _c("元着区分"),
        _c("メールアドレス"),
        _c("ご不在時連絡先"),
        _c("出荷日", S.SHIP_DATE),
        _c("お問い合せ送り状Ｎｏ．"),
        _c("出荷場印字区分"),
        _c("集約解除指定"),
        *_numbered("編集", 1, 10, width=2),
    ),
    limits={S.NAME: 16, S.ITEM: 16, S.SENDER_NAME: 16, S.SENDER_ADDRESS: 16},
    line=16,
    tracking=("お客様管理番号", "お問い合せ送り状Ｎｏ．"),
)

# 日本郵便 クリックポスト まとめ申込み: four address lines of 20, 40 rows a file; its
# tracking numbers come from the print page, not a file ShopGuard reads back.
JAPAN_POST_CLICKPOST = Layout(
    code="japanpost_clickpost",
    name="日本郵便 クリックポスト",
    company_ja="日本郵便株式会社",
    company_en="Japan Post Co., Ltd.",
    columns=(
        _c("お届け先郵便番号", S.POSTAL_CODE),
        _c("お届け先氏名", S.NAME),
        _c("お届け先敬称", S.HONORIFIC),
        _c("お届け先住所1行目", S.ADDRESS_1),
        _c("お届け先住所2行目", S.ADDRESS_2),
        _c("お届け先住所3行目", S.ADDRESS_3),
        _c("お届け先住所4行目", S.ADDRESS_4),
        _c("内容品", S.ITEM),
    ),
    limits={S.NAME: 20, S.ITEM: 15},
    line=20,
    max_rows=40,
)

LAYOUTS = {layout.code: layout for layout in (YAMATO_B2, SAGAWA_EHIDEN, JAPAN_POST_CLICKPOST)}
CARRIER_CHOICES = [(layout.code, layout.name) for layout in LAYOUTS.values()]
