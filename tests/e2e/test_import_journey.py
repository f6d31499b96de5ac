"""The import journey (issue #24): a Shopify customer export as Shopify writes it (its
13-digit Customer ID included), an EC-CUBE member CSV in CP932, a BASE-like file mapped
column by column and saved as a preset, a CP932 re-import that would lose 𠮷,
shown first and kept, and a Shopify order export: refused naming its uncategorised
product, then imported as a purchase and a gift shipment. Every value is made up (例
names, example.jp addresses)."""

from tests.customers.import_samples import current_csv, current_row, luhn_valid_id
from tests.customers.test_import_platforms import eccube_file, eccube_row
from tests.e2e.conftest import check_page, screenshot, sign_in, submit, visit

IMPORT = "/admin/customers/import/"
SHOPIFY = current_csv(
    current_row(
        first="花子",
        last="𠮷野",
        email="yoshino.e2e@example.jp",
        customer_id=luhn_valid_id("657882327400"),
    ),
    current_row(first="太郎", last="例田", email="reida.e2e@example.jp", phone="090-0000-7777"),
)
BASE_LIKE = (
    "氏名,ふりがな,メール,電話,郵便番号,都道府県,住所,注文番号\r\n"
    "例 三郎,れい さぶろう,rei.saburo.e2e@example.jp,090-0000-0003,100-0001,東京都,"
    "千代田区例1-1,A1\r\n"
)


def upload(page, tmp_path, name, data, choice):
    path = tmp_path / name
    path.write_bytes(data)
    page.set_input_files("#import-upload input[type=file]", str(path))
    page.select_option("#import-upload select[name=format]", choice)
    submit(page, "#import-upload [type=submit]")


def test_owner_imports_each_kind_of_file(open_page, people, tmp_path):
    page = open_page()
    sign_in(page, people["owner"])
    visit(page, IMPORT)

    upload(page, tmp_path, "customers_export.csv", SHOPIFY.encode(), "shopify")
    assert "2 件を登録し、0 件を更新しました。" in page.inner_text("#import-result")
    screenshot(page, "import-shopify")

    data = eccube_file(eccube_row(member_id="901", email="mihon.e2e@example.jp"))
    upload(page, tmp_path, "member.csv", data, "eccube")
    assert "1 件を登録し" in page.inner_text("#import-result")

    upload(page, tmp_path, "base.csv", BASE_LIKE.encode(), "map")
    assert "例＊＊＊" in page.inner_text("#import-sample")
    assert "rei.saburo" not in page.inner_text("#content")
    page.fill("#id_name", "BASE 顧客")
    screenshot(page, "import-mapping")
    submit(page, "#import-mapping [type=submit]")
    assert "format=preset:" in page.url
    selected = page.locator("#import-upload select[name=format] option:checked").inner_text()
    assert "BASE 顧客" in selected
    path = tmp_path / "base.csv"
    page.set_input_files("#import-upload input[type=file]", str(path))
    submit(page, "#import-upload [type=submit]")
    assert "1 件を登録し" in page.inner_text("#import-result")


ORDERS = (
    "Name,Email,Financial Status,Paid at,Lineitem quantity,Lineitem name,Lineitem price,"
    "Shipping Name,Shipping Address1,Shipping Address2,Shipping City,Shipping Zip,"
    "Shipping Province,Shipping Phone,Created at\r\n"
    "#9001,reida.e2e@example.jp,paid,2026-11-02 14:05:00 +0900,1,例の茶葉 100g,1200,"
    "例 友子,例町1-2-3,,例市,'530-0001,JP-27,'06-0000-1234,2026-11-02 14:00:00 +0900\r\n"
)


def test_owner_imports_an_order_file_as_purchases_and_shipments(open_page, people, tmp_path):
    page = open_page()
    sign_in(page, people["owner"])
    visit(page, IMPORT)
    upload(page, tmp_path, "customers_export.csv", SHOPIFY.encode(), "shopify")

    upload(page, tmp_path, "orders_export.csv", ORDERS.encode(), "shopify-orders")
    assert "例の茶葉 100g" in page.inner_text("#import-uncategorised")
    assert "何も登録しませんでした" in page.inner_text("#content")
    screenshot(page, "import-orders-uncategorised")

    visit(page, "/admin/customers/productcategory/add/")
    page.fill("#id_product_name", "例の茶葉 100g")
    page.select_option("#id_category", label="食品")
    submit(page, "input[name=_save]")

    visit(page, IMPORT)
    upload(page, tmp_path, "orders_export.csv", ORDERS.encode(), "shopify-orders")
    assert "注文 1 件から、購入履歴を 1 件登録しました" in page.inner_text("#import-result")
    screenshot(page, "import-orders")
    visit(page, "/admin/shipping/")
    assert "未発送" in page.inner_text("#content")


def test_a_cp932_reimport_is_shown_first_and_keeps_what_it_would_lose(open_page, people, tmp_path):
    page = open_page()
    sign_in(page, people["owner"])
    visit(page, IMPORT)
    lossy = SHOPIFY.replace("090-0000-7777", "090-0000-8888").encode("cp932", errors="replace")

    upload(page, tmp_path, "again.csv", lossy, "shopify")

    preview = page.inner_text("#import-preview")
    assert "登録する前に変更内容を確認してください" in preview
    assert "文字化けのように見えます" in preview
    screenshot(page, "import-preview")
    page.set_input_files("#import-confirm input[type=file]", str(tmp_path / "again.csv"))
    with page.expect_navigation():
        page.click("#import-confirm [type=submit]")
    check_page(page)
    result = page.inner_text("#import-result")
    assert "文字化けのように見えた 1 件の値は登録せず" in result
