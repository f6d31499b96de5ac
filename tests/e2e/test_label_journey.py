"""The daily label work (issue #23): the owner approves the label routine once; staff
add a gift to another recipient (masked on its page, changed while it waits), then make
the day's label file for the waiting shipments without anyone's approval and download it
once, in the carrier's Shift_JIS layout."""

import csv
import io

from tests.e2e.conftest import confirm_password, screenshot, sign_in, submit, visit


def test_owner_approves_the_routine_and_staff_make_the_days_label_file(open_page, people):
    owner_page, owner = open_page(), people["owner"]
    sign_in(owner_page, owner)
    visit(owner_page, "/admin/exports/new/")  # confirm the password once, as for any export
    confirm_password(owner_page, owner)
    visit(owner_page, "/admin/shipping/routines/")
    owner_page.select_option("#id_carrier", "yamato_b2")
    owner_page.fill("#id_daily_cap", "100")
    owner_page.fill("#id_sender_name", "見本商店")
    owner_page.fill("#id_sender_postal_code", "100-0001")
    owner_page.fill("#id_sender_address", "東京都千代田区千代田1-1 見本ビル2階")
    owner_page.fill("#id_sender_phone", "03-0000-0000")
    assert owner_page.input_value("#id_item_medicine") == "日用品"
    screenshot(owner_page, "label-routine-approval")
    submit(owner_page, "#routine-form [type=submit]")
    assert "ヤマト運輸 B2クラウド（1日100件まで）" in owner_page.inner_text("#label-routines")

    staff_page, staff = open_page(), people["staff"]
    sign_in(staff_page, staff)
    # A gift: the first customer's purchases go to another recipient, typed once, sealed,
    # and masked on the shipment's page.
    visit(staff_page, "/admin/customers/customer/")
    staff_page.check("input.action-select >> nth=0")
    staff_page.select_option("select[name=action]", "gift_for_selected")
    submit(staff_page, "button[name=index]")
    staff_page.fill("#id_recipient_name", "高橋 美咲")
    staff_page.fill("#id_recipient_postal_code", "2200012")
    staff_page.fill("#id_recipient_address", "神奈川県横浜市西区みなとみらい2-2-1 ランドマーク30階")
    staff_page.fill("#id_recipient_phone", "045-222-3333")
    submit(staff_page, "#gift-form [type=submit]")
    recipient = staff_page.inner_text("#gift-recipient")
    assert "高橋 **" in recipient and "神奈川県横浜市 ***" in recipient
    assert "美咲" not in recipient and "みなとみらい" not in recipient
    screenshot(staff_page, "label-gift")
    # Changed while it waits: a blank field keeps its value, which the form never shows.
    submit(staff_page, "#gift-edit-link")
    assert staff_page.input_value("#id_recipient_phone") == ""
    staff_page.fill("#id_recipient_phone", "045-222-4444")
    submit(staff_page, "#gift-form [type=submit]")
    assert "***-****-4444" in staff_page.inner_text("#gift-recipient")

    visit(staff_page, "/admin/")
    assert staff_page.locator("#dashboard-label-work").count() == 1
    submit(staff_page, "#dashboard-label-work a")
    waiting = staff_page.locator("input[name=shipments]").count()
    assert waiting >= 1
    assert "今日はあと100件" in staff_page.inner_text("#id_routine")
    screenshot(staff_page, "label-work")
    submit(staff_page, "#label-make [type=submit]")
    assert staff_page.inner_text("#label-file-count").strip() == str(waiting)
    submit(staff_page, "#label-download [type=submit]")
    confirm_password(staff_page, staff)
    screenshot(staff_page, "label-file")
    with staff_page.expect_download() as download:
        staff_page.click("#label-download [type=submit]")
    content = download.value.path().read_bytes().decode("cp932")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][:2] == ["お客様管理番号", "送り状種類"] and len(rows) == waiting + 1
    assert all(row[17] == "様" and row[24] == "見本商店" for row in rows[1:])
    (gift,) = [row for row in rows[1:] if row[15] == "高橋 美咲"]
    assert gift[8] == "045-222-4444" and gift[10] == "220-0012" and gift[12] == "ランドマーク30階"

    # Once only: the file's page no longer offers it, and the owner sees it taken out.
    visit(staff_page, staff_page.url)
    assert staff_page.locator("#label-download").count() == 0
    visit(owner_page, "/admin/exports/ledger/")
    assert "ヤマト運輸 B2クラウド" in owner_page.inner_text("#takeout-label-files")
