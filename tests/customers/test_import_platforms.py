"""The platforms' own customer files and saved mappings (issue #24): EC-CUBE 4's member
CSV as EC-CUBE writes it (SJIS-win), and any other CSV through a named mapping."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from customers.models import Customer, ImportPreset
from customers.platforms import platform_layouts
from tests.customers.import_samples import luhn_valid_id

pytestmark = pytest.mark.usefixtures("test_reads")

ECCUBE_HEADER = (
    "会員ID,お名前(姓),お名前(名),お名前(セイ),お名前(メイ),会社名,郵便番号,都道府県(ID),"
    "都道府県(名称),住所1,住所2,メールアドレス,TEL,性別(ID),性別(名称),職業(ID),職業(名称),"
    "誕生日,初回購入日,最終購入日,購入回数,ショップ用メモ欄,会員ステータス(ID),"
    "会員ステータス(名称),登録日,更新日"
)


def eccube_row(member_id="12", last="見本", first="花子", email="mihon.hanako@example.jp"):
    return (
        f"{member_id},{last},{first},ミホン,ﾊﾅｺ,,5300001,27,大阪府,大阪市北区例町,1-2-3 例ビル,"
        f"{email},06-0000-1234,2,女性,,,,,,0,,2,本会員,2026-01-05 10:00:00,2026-01-05 10:00:00"
    )


def eccube_file(*rows):
    return ("\r\n".join([ECCUBE_HEADER, *rows]) + "\r\n").encode("cp932")


def command(tmp_path, data, *options):
    path = tmp_path / "upload.csv"
    path.write_bytes(data)
    out, err = StringIO(), StringIO()
    try:
        call_command("import_customers", str(path), *options, stdout=out, stderr=err)
    finally:
        command.err = err.getvalue()
    return out.getvalue()


def test_the_platform_layouts_ship_as_data():
    assert {"shopify", "eccube"} <= set(platform_layouts())
    assert platform_layouts()["eccube"].key("お名前（セイ）") == "last_name_kana"


def test_an_eccube_member_csv_in_sjis_win_is_imported(db, tmp_path):
    output = command(tmp_path, eccube_file(eccube_row()), "--format", "eccube")

    assert "1 created" in output and "cp932" in output
    customer = Customer.objects.get()
    assert customer.name == "見本 花子"
    assert customer.name_kana == "ミホン ハナコ"  # half-width kana folded to full width
    assert customer.postal_code == "530-0001"
    assert customer.address == "大阪府大阪市北区例町1-2-3 例ビル"
    assert customer.phone == "06-0000-1234"
    assert customer.gender == "female"
    assert customer.external_id == "eccube:12"
    entry = AuditEntry.objects.get(action="customer.import")
    assert entry.detail["format"] == "eccube"


def test_an_eccube_reimport_updates_by_member_id(db, tmp_path):
    command(tmp_path, eccube_file(eccube_row()), "--format", "eccube")
    moved = eccube_row(email="new.address@example.jp", first="花")

    output = command(tmp_path, eccube_file(moved), "--format", "eccube")

    assert "0 created, 1 updated" in output
    customer = Customer.objects.get()
    assert customer.email == "new.address@example.jp" and customer.name == "見本 花"


def test_an_eccube_file_without_its_name_columns_is_refused_by_column(db, tmp_path):
    data = "会員ID,メールアドレス\r\n1,a@example.jp\r\n".encode("cp932")

    with pytest.raises(CommandError):
        command(tmp_path, data, "--format", "eccube")

    assert "「お名前(姓)」か「お名前(名)」の列が必要です" in command.err
    assert not Customer.objects.exists()


BASE_LIKE = (
    "氏名,ふりがな,メール,電話,郵便番号,都道府県,住所,注文番号\r\n"
    "例 一郎,れい いちろう,rei.ichiro@example.jp,090-0000-0001,100-0001,東京都,千代田区例1-1,A1\r\n"
)


def test_a_saved_mapping_imports_another_csv_by_name(db, tmp_path):
    ImportPreset.objects.create(
        name="BASE",
        columns={
            "氏名": "name",
            "ふりがな": "name_kana",
            "メール": "email",
            "電話": "phone",
            "郵便番号": "zip",
            "都道府県": "province",
            "住所": "city",
            "注文番号": "",
        },
    )

    output = command(tmp_path, BASE_LIKE.encode(), "--preset", "BASE")

    assert "1 created" in output
    customer = Customer.objects.get()
    assert customer.name == "例 一郎" and customer.name_kana == "れい いちろう"
    assert customer.address == "東京都千代田区例1-1"
    entry = AuditEntry.objects.get(action="customer.import")
    assert entry.detail["format"] == "preset" and entry.detail["preset"] == "BASE"


def test_an_unknown_preset_is_named_with_the_saved_ones(db, tmp_path):
    ImportPreset.objects.create(name="BASE", columns={"氏名": "name"})

    with pytest.raises(CommandError, match=r"No saved mapping named 'STORES' \(saved: BASE\)"):
        command(tmp_path, BASE_LIKE.encode(), "--preset", "STORES")


def test_a_card_number_in_a_mapped_id_column_is_refused(db, tmp_path):
    # Only a platform's own layout exempts its id column: a person's mapping does not.
    ImportPreset.objects.create(name="other", columns={"氏名": "name", "ID": "external_id"})
    data = f"氏名,ID\r\n例 一郎,{luhn_valid_id()}\r\n".encode()

    with pytest.raises(CommandError):
        command(tmp_path, data, "--preset", "other")

    assert "2行目, ID: カード番号のような数字は保存できません" in command.err
    assert not Customer.objects.exists()
