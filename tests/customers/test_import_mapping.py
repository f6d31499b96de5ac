"""Any other CSV through the mapping page (issue #24): the header and five masked rows,
a field chosen for each column, saved under a name, then imported with it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.importing import mask_cell
from customers.models import Customer, ImportPreset
from tests.signing import signed_in

pytestmark = pytest.mark.usefixtures("test_reads")

URL = "/admin/customers/import/"
MAPPING = "/admin/customers/import/mapping/"
HEADER = ["氏名", "ふりがな", "メール", "電話", "郵便番号", "都道府県", "住所", "注文番号"]
BASE_LIKE = (
    ",".join(HEADER)
    + "\r\n"
    + "例 一郎,れい いちろう,rei.ichiro@example.jp,090-0000-0001,100-0001,東京都,"
    + "千代田区例1-1,A1\r\n"
)


def upload(client, text, choice):
    csv_file = SimpleUploadedFile("base.csv", text.encode(), "text/csv")
    return client.post(URL, {"file": csv_file, "format": choice})


def mapping_data(name="BASE 顧客", **overrides):
    guessed = ["name", "name_kana", "email", "phone", "zip", "province", "city", ""]
    data = {"name": name, "header": HEADER}
    data.update({f"column_{i}": key for i, key in enumerate(guessed)})
    data.update(overrides)
    return data


def test_a_cell_is_masked_to_its_first_character():
    assert mask_cell("例 一郎") == "例＊＊＊"
    assert mask_cell("rei.ichiro@example.jp") == "r＊＊＊＊＊"
    assert mask_cell("090-0000-0001") == "＊＊＊＊＊＊"


def test_the_mapping_page_shows_the_header_and_masked_rows_with_guesses(client, people):
    signed_in(client, people.alice)

    response = upload(client, BASE_LIKE, "map")

    assert response.status_code == 200
    page = response.content.decode()
    assert all(title in page for title in HEADER)
    assert "例＊＊＊" in page
    for value in ("例 一郎", "rei.ichiro", "090-0000-0001", "千代田区"):
        assert value not in page
    form = response.context["form"]
    assert form["column_0"].initial == "name" and form["column_2"].initial == "email"
    assert not Customer.objects.exists()


def test_a_saved_mapping_is_offered_and_imports_the_file(client, people):
    signed_in(client, people.alice)

    saved = client.post(MAPPING, mapping_data())

    preset = ImportPreset.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"{URL}?format=preset:{preset.pk}"
    assert preset.columns["メール"] == "email" and preset.columns["注文番号"] == ""
    assert preset.created_by == people.alice
    assert "BASE 顧客" in client.get(saved["Location"]).content.decode()
    response = upload(client, BASE_LIKE, f"preset:{preset.pk}")
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert customer.name == "例 一郎" and customer.email == "rei.ichiro@example.jp"


def test_a_mapping_without_a_name_column_is_refused(client, people):
    signed_in(client, people.alice)

    response = client.post(MAPPING, mapping_data(column_0="", column_1=""))

    assert response.status_code == 200
    assert "氏名（または姓・名）の列を選んでください" in response.content.decode()
    assert not ImportPreset.objects.exists()


@pytest.mark.parametrize("name", ["carol", "dave"])
def test_staff_and_auditors_cannot_save_mappings(client, people, name):
    signed_in(client, getattr(people, name))

    assert client.post(MAPPING, mapping_data()).status_code == 403
    assert not ImportPreset.objects.exists()
