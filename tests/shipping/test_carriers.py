"""Each carrier layout against its column list (docs/carriers.md) and Shift_JIS (issue #23)."""

import re
from pathlib import Path

import pytest

from shipping import carriers, labels
from shipping.carriers import LAYOUTS, Source

DOC = Path(__file__).resolve().parents[2] / "docs" / "carriers.md"
SECTIONS = {
    "yamato_b2": "ヤマト運輸 B2クラウド",
    "sagawa_ehiden": "佐川急便 e飛伝",
    "japanpost_clickpost": "日本郵便 クリックポスト",
}


def documented_columns(title):
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    listed = section.split("Columns:", 1)[1]
    return [c.strip() for c in re.split(r",\s*", " ".join(listed.split())) if c.strip()]


@pytest.mark.parametrize("code", sorted(SECTIONS))
def test_each_layout_has_exactly_its_documented_columns_in_order(code):
    assert LAYOUTS[code].headers == documented_columns(SECTIONS[code])


def test_the_column_counts_are_those_of_the_public_lists():
    assert len(LAYOUTS["yamato_b2"].headers) == 42
    assert len(LAYOUTS["sagawa_ehiden"].headers) == 74
    assert len(LAYOUTS["japanpost_clickpost"].headers) == 8


@pytest.mark.parametrize("code", sorted(SECTIONS))
def test_every_header_is_shift_jis(code):
    for header in LAYOUTS[code].headers:
        header.encode("cp932")
    assert LAYOUTS[code].encoding == "cp932"


@pytest.mark.parametrize("code", sorted(SECTIONS))
def test_every_layout_carries_the_minimum_a_box_needs_and_nothing_else(code):
    sources = LAYOUTS[code].sources
    assert {Source.NAME, Source.POSTAL_CODE, Source.ITEM} <= sources
    assert sources & {Source.ADDRESS, Source.ADDRESS_1}
    # No e-mail, no card, no product name: the Source vocabulary has none of them.
    assert not {s.value for s in sources} & {"email", "card_token", "product_name"}


SENDER = labels.Sender("見本商店", "1000001", "東京都千代田区千代田1-1 見本ビル2階", "03-1234-5678")
HANAKO = labels.Recipient(
    "山田 花子", "１５００００１", "東京都渋谷区神宮前1-2-3 表参道ハイツ101", "+81 90 1234 5678"
)


def values(layout, recipient=HANAKO):
    from datetime import date

    return labels.row_values(layout, "ABC123", recipient, SENDER, "日用品", date(2026, 12, 7))


def test_a_b2_row_puts_each_value_in_its_column():
    layout = carriers.YAMATO_B2
    row = dict(zip(layout.headers, labels.row(layout, values(layout)), strict=True))
    assert row["お客様管理番号"] == "ABC123"
    assert row["送り状種類"] == "0" and row["発行枚数"] == "1"
    assert row["お届け先電話番号"] == "090-1234-5678"
    assert row["お届け先郵便番号"] == "150-0001"
    assert row["お届け先住所"] == "東京都渋谷区神宮前1-2-3"
    assert row["お届け先住所（アパートマンション名）"] == "表参道ハイツ101"
    assert row["お届け先名"] == "山田 花子" and row["敬称"] == "様"
    assert row["ご依頼主名"] == "見本商店" and row["ご依頼主郵便番号"] == "100-0001"
    assert row["品名１"] == "日用品" and row["出荷予定日"] == "2026/12/07"
    assert labels.problems_of(layout, "ABC123", HANAKO, values(layout)) == []


def test_e_hiden_and_click_post_split_the_address_into_their_lines():
    row = dict(
        zip(
            carriers.SAGAWA_EHIDEN.headers,
            labels.row(carriers.SAGAWA_EHIDEN, values(carriers.SAGAWA_EHIDEN)),
            strict=True,
        )
    )
    assert row["お届け先住所１"] == "東京都渋谷区神宮前1-2-3"
    assert row["お届け先住所２"] == "表参道ハイツ101" and row["お届け先住所３"] == ""
    click = labels.row(carriers.JAPAN_POST_CLICKPOST, values(carriers.JAPAN_POST_CLICKPOST))
    assert click == [
        "150-0001",
        "山田 花子",
        "様",
        "東京都渋谷区神宮前1-2-3",
        "表参道ハイツ101",
        "",
        "",
        "日用品",
    ]


def test_what_does_not_fit_is_listed_by_field_without_the_value():
    bad = labels.Recipient("髙橋 𠮷子", "", "渋谷区" + "あ" * 40 + " 部屋", "")
    layout = carriers.YAMATO_B2
    found = labels.problems_of(layout, "REF1", bad, values(layout, bad))
    fields = {p.field for p in found}
    assert {
        "お届け先の郵便番号",
        "お届け先の住所",
        "お届け先の氏名",
        "お届け先の電話番号",
    } <= fields
    messages = " ".join(p.message for p in found)
    assert "都道府県" in messages and "32文字" in messages and "Shift_JIS" in messages
    assert all(p.reference == "REF1" for p in found)
    assert "𠮷" not in messages and "あああ" not in messages


def test_a_value_a_spreadsheet_would_run_is_a_problem_to_fix_and_never_written_raw():
    layout = carriers.YAMATO_B2
    formula = labels.Recipient("=HYPERLINK(1)", "1500001", "東京都渋谷区1-1", "090-1234-5678")
    found = labels.problems_of(layout, "REF2", formula, values(layout, formula))
    assert [(p.field, "記号" in p.message) for p in found] == [("お届け先の氏名", True)]
    assert labels.row(layout, values(layout, formula))[15] == "'=HYPERLINK(1)"


@pytest.mark.parametrize("layout", list(carriers.LAYOUTS.values()), ids=lambda lay: lay.code)
def test_a_files_rows_guard_the_shared_values_once_and_come_out_the_same(layout):
    """The file's writer works out the shop's and the day's values once per file
    (labels.template) and each row's own values per row: the same row as in one go, a
    formula-like shop name kept as text in both."""
    from datetime import date

    day = date(2026, 12, 7)
    for sender in (
        SENDER,
        labels.Sender("=見本", "1000001", "東京都千代田区千代田1-1", "03-1234-5678"),
    ):
        made = labels.template(layout, labels.file_values(sender, day))
        own = labels.shipment_values(layout, "ABC123", HANAKO, "日用品")
        whole = labels.row_values(layout, "ABC123", HANAKO, sender, "日用品", day)
        assert labels.row(layout, own, made) == labels.row(layout, whole)
        assert len(labels.row(layout, own, made)) == len(layout.columns)
