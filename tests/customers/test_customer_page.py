"""The customer's page is a read view first: masked values with a reveal button each,
purchases, and editing as a separate step; it is read (and recorded) like the change page."""

import pytest

from tests.customers.vault import (
    CHANGELIST,
    HANAKO,
    change_url,
    entries,
    make_purchase,
    reveal_url,
    view_url,
)
from tests.signing import signed_in

pytestmark = pytest.mark.usefixtures("test_reads")

SECRETS = ("花子", "hanako.yamada", "1234-5678", "西新宿", "tok_1a2b3c4d5e6f", "12/28")


def test_it_sends_anonymous_people_to_sign_in(client, hanako):
    response = client.get(view_url(hanako))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not entries("customer.view").exists()


def test_it_refuses_the_auditor(client, people, hanako):
    assert signed_in(client, people.dave).get(view_url(hanako)).status_code == 403
    assert not entries("customer.view").exists()


@pytest.mark.parametrize("person", ["alice", "bob", "carol"])
def test_it_shows_masked_values_with_a_reveal_button_each_and_records_the_view(
    client, people, hanako, person
):
    response = signed_in(client, getattr(people, person)).get(view_url(hanako))
    assert response.status_code == 200
    page = response.content.decode()
    assert "山田 **" in page and "h***@example.com" in page
    for field in ("name", "phone", "email", "address"):
        assert f'href="{reveal_url(hanako, field)}"' in page
    for secret in SECRETS:
        assert secret not in page
    # Editing is a separate step, reached by its own button; the page holds no form field.
    assert f'href="{change_url(hanako)}"' in page and 'id="edit-customer"' in page
    assert "<input" not in page.split('id="content-main"')[1].split("</form>")[-1]
    entry = entries("customer.view").get()
    assert entry.customer_ids == [str(hanako.pk)] and entry.target_id == str(hanako.pk)


def test_the_list_opens_the_customers_page_not_the_edit_form(client, people, hanako):
    page = signed_in(client, people.carol).get(CHANGELIST).content.decode()
    assert f'href="{view_url(hanako)}"' in page
    assert f'href="{change_url(hanako)}"' not in page


def test_the_edit_form_leads_back_to_the_customers_page(client, people, hanako):
    page = signed_in(client, people.carol).get(change_url(hanako)).content.decode()
    assert f'href="{view_url(hanako)}"' in page and 'id="masked-values"' not in page


def test_purchases_show_yen_with_separators_in_each_language(client, people, hanako):
    make_purchase(hanako, amount=12345)
    signed_in(client, people.alice)
    assert "12,345円" in client.get(view_url(hanako)).content.decode()
    english = client.get(view_url(hanako), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "¥12,345" in english


def test_categories_are_named_in_english_on_english_pages(client, people, hanako):
    make_purchase(hanako, category="food")
    signed_in(client, people.alice)
    japanese = client.get(view_url(hanako)).content.decode()
    english = client.get(view_url(hanako), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    from customers.models import Category

    food = Category.objects.get(code="food")
    assert food.name_ja in japanese and food.name_en in english
    assert food.name_ja not in english


def test_an_unknown_customer_is_a_404(client, people, db):
    signed_in(client, people.alice)
    assert client.get(f"{CHANGELIST}00000000-0000-4000-8000-000000000000/").status_code == 404


def test_saving_an_edit_returns_to_the_customers_page(client, people, hanako):
    data = dict.fromkeys(HANAKO, "")
    data["phone"] = "080-9999-0000"
    response = signed_in(client, people.carol).post(change_url(hanako), data)
    assert response.status_code == 302 and response["Location"] == view_url(hanako)
    assert entries("customer.change").get().detail == {"fields": ["phone"]}
    again = signed_in(client, people.carol).post(change_url(hanako), {**data, "_continue": "1"})
    assert again["Location"].endswith(change_url(hanako))
