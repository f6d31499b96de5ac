"""The customer and purchase admin: permissions, audit records, query counts, change forms."""

import pytest
from django.contrib.staticfiles import finders

from audit.models import AuditEntry
from customers.models import Customer, Purchase
from tests.customers.vault import (
    CHANGELIST,
    HANAKO,
    PURCHASES,
    change_url,
    entries,
    make_customer,
    make_purchase,
    view_url,
)
from tests.signing import reauthenticate, signed_in

# The tests check stored values themselves; requests still start outside any scope.
pytestmark = pytest.mark.usefixtures("test_reads")

NEW_CUSTOMER = {**HANAKO, "name": "佐藤 次郎", "email": "jiro.sato@example.com"}


# The list page ------------------------------------------------------------------------


def test_it_sends_anonymous_people_to_sign_in(client, hanako):
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert not entries("customer.list").exists()


def test_it_keeps_people_without_a_role_out(client, people, hanako):
    response = signed_in(client, people.erin).get(CHANGELIST)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert not entries("customer.list").exists()


def test_it_refuses_customer_pages_to_the_auditor(client, people, hanako):
    signed_in(client, people.dave)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(hanako)).status_code == 403
    assert client.get(PURCHASES).status_code == 403
    assert not entries("customer.list").exists()
    assert not entries("customer.view").exists()


@pytest.mark.parametrize("person", ["alice", "bob", "carol"])
def test_it_lists_masked_customers_and_records_the_ids_shown(client, people, hanako, person):
    other = make_customer(name="鈴木 一郎", email="ichiro@example.com")
    response = signed_in(client, getattr(people, person)).get(CHANGELIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "山田 **" in page and "h***@example.com" in page and "***-****-5678" in page
    assert "東京都新宿区 ***" in page
    for secret in ("花子", "hanako.yamada", "1234-5678", "西新宿", "一郎"):
        assert secret not in page
    entry = entries("customer.list").get()
    assert set(entry.customer_ids) == {str(hanako.pk), str(other.pk)}
    assert entry.detail == {"model": "customer", "search": "none", "shown": 2}
    assert entry.actor_username == person


def test_the_list_page_makes_no_query_per_row(client, people, django_assert_max_num_queries):
    for number in range(30):
        customer = make_customer(email=f"c{number}@example.com")
        make_purchase(customer)
        make_purchase(customer, category="medicine", product="育毛剤")
    signed_in(client, people.carol)
    # Session, user, the second factor's device, role, permissions, the house rules'
    # acceptance (policy.rules), one count, one page of rows, the audit record (with its
    # savepoints; on SQLite two statements for its customers' keys and appearances,
    # audit.appearances): the same for 30 rows as for 3.
    with django_assert_max_num_queries(19):
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(entries("customer.list").get().customer_ids) == 30


def test_the_purchase_list_hides_sensitive_purchases_from_staff(client, people, hanako):
    make_purchase(hanako, product="有機玄米 5kg")
    sensitive = make_purchase(hanako, category="medicine", product="育毛剤プレミアム")
    page = signed_in(client, people.carol).get(PURCHASES).content.decode()
    assert "有機玄米 5kg" in page
    assert "育毛剤" not in page and sensitive.short_id not in page
    entry = entries("customer.list").get()
    assert entry.customer_ids == [str(hanako.pk)]
    assert entry.detail["model"] == "purchase"


def test_the_purchase_list_masks_sensitive_product_names_for_the_manager(client, people, hanako):
    sensitive = make_purchase(hanako, category="medicine", product="育毛剤プレミアム")
    page = signed_in(client, people.bob).get(PURCHASES).content.decode()
    assert sensitive.short_id in page
    assert "育毛剤" not in page


def test_staff_cannot_open_a_sensitive_purchase(client, people, hanako):
    sensitive = make_purchase(hanako, category="medicine", product="育毛剤プレミアム")
    response = signed_in(client, people.carol).get(f"{PURCHASES}{sensitive.pk}/change/")
    assert response.status_code == 302  # the admin's "does not exist" answer
    assert "育毛剤" not in response.content.decode()
    assert not entries("customer.view").exists()


# The detail (change) page -------------------------------------------------------------


@pytest.mark.parametrize("person", ["alice", "bob", "carol"])
def test_the_change_page_shows_masks_never_values_and_records_the_view(
    client, people, hanako, person
):
    response = signed_in(client, getattr(people, person)).get(change_url(hanako))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'placeholder="山田 **"' in page
    assert 'placeholder="h***@example.com"' in page
    assert "VISA •••• 4242" in page or "•••• 4242" in page
    for secret in ("花子", "hanako.yamada", "1234-5678", "西新宿", "tok_1a2b3c4d5e6f", "12/28"):
        assert secret not in page
    assert "山田" not in response.context["title"]
    entry = entries("customer.view").get()
    assert entry.customer_ids == [str(hanako.pk)]
    assert entry.target_id == str(hanako.pk)


def test_only_the_owner_gets_the_who_looked_link(client, people, hanako):
    link = f"/admin/audit/auditentry/customer/{hanako.pk}/"
    assert link in signed_in(client, people.alice).get(view_url(hanako)).content.decode()
    assert link not in signed_in(client, people.bob).get(view_url(hanako)).content.decode()


def test_staff_see_sensitive_purchases_only_as_a_count(client, people, hanako):
    make_purchase(hanako, product="有機玄米 5kg")
    make_purchase(hanako, category="medicine", product="育毛剤プレミアム")
    make_purchase(hanako, category="adult", product="アダルト商品A")
    page = signed_in(client, people.carol).get(view_url(hanako)).content.decode()
    assert "有機玄米 5kg" in page
    assert "要配慮カテゴリの購入が 2 件" in page
    assert "育毛剤" not in page and "アダルト商品A" not in page


def test_the_manager_sees_sensitive_purchases_with_masked_names(client, people, hanako):
    sensitive = make_purchase(hanako, category="medicine", product="育毛剤プレミアム")
    page = signed_in(client, people.bob).get(view_url(hanako)).content.decode()
    assert "育毛剤" not in page
    assert f"/admin/customers/purchase/{sensitive.pk}/reveal/" in page
    assert "要配慮カテゴリの購入が" not in page


def test_a_blank_field_keeps_its_value_and_a_typed_one_replaces_it(client, people, hanako):
    data = dict.fromkeys(HANAKO, "")
    data["phone"] = "080-9999-0000"
    response = signed_in(client, people.carol).post(change_url(hanako), data)
    assert response.status_code == 302
    fresh = Customer.objects.get(pk=hanako.pk)
    assert fresh.phone == "080-9999-0000"
    assert fresh.name == "山田 花子" and fresh.email == HANAKO["email"]
    assert fresh.gender == "female" and fresh.card_token == HANAKO["card_token"]
    assert fresh.phone_index != hanako.phone_index
    entry = entries("customer.change").get()
    assert entry.detail == {"fields": ["phone"]}
    assert "080" not in str(entry.detail)


def test_the_change_form_refuses_bad_input_and_changes_nothing(client, people, hanako):
    data = {**dict.fromkeys(HANAKO, ""), "email": "not an e-mail", "name": "新しい 名前"}
    response = signed_in(client, people.carol).post(change_url(hanako), data)
    assert response.status_code == 200
    assert "not an e-mail" not in str(response.context["adminform"].form.initial)
    assert Customer.objects.get(pk=hanako.pk).name == "山田 花子"
    assert not entries("customer.change").exists()


def test_the_change_form_never_preselects_the_stored_gender(client, people, hanako):
    page = signed_in(client, people.carol).get(change_url(hanako)).content.decode()
    assert 'value="female" selected' not in page
    assert 'value="" selected' in page


# Adding -------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["alice", "bob"])
def test_owner_and_manager_add_customers(client, people, person):
    response = signed_in(client, getattr(people, person)).post(f"{CHANGELIST}add/", NEW_CUSTOMER)
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert customer.name == "佐藤 次郎"
    entry = entries("customer.add").get()
    assert entry.customer_ids == [str(customer.pk)]
    assert "佐藤" not in str(entry.detail)


def test_staff_cannot_add_customers(client, people):
    response = signed_in(client, people.carol).post(f"{CHANGELIST}add/", NEW_CUSTOMER)
    assert response.status_code == 403
    assert not Customer.objects.exists()
    assert not entries("customer.add").exists()


def test_anonymous_people_cannot_add_customers(client, db):
    response = client.post(f"{CHANGELIST}add/", NEW_CUSTOMER)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Customer.objects.exists()


def test_staff_cannot_put_a_purchase_in_a_sensitive_category(client, people, hanako):
    purchase = make_purchase(hanako)
    page = signed_in(client, people.carol).get(f"{PURCHASES}{purchase.pk}/change/")
    categories = page.context["adminform"].form.fields["category"].queryset
    assert not categories.filter(sensitive=True).exists()


def test_a_sensitive_product_name_is_kept_when_left_blank(client, people, hanako):
    purchase = make_purchase(hanako, category="medicine", product="育毛剤プレミアム")
    signed_in(client, people.bob)
    page = client.get(f"{PURCHASES}{purchase.pk}/change/").content.decode()
    assert "育毛剤" not in page
    data = {
        "customer": str(hanako.pk),
        "category": purchase.category_id,
        "product_name": "",
        "amount": "5000",
        "purchased_on": "2026-11-02",
    }
    response = client.post(f"{PURCHASES}{purchase.pk}/change/", data)
    assert response.status_code == 302
    fresh = Purchase.objects.get(pk=purchase.pk)
    assert fresh.product_name == "育毛剤プレミアム" and fresh.amount == 5000
    assert entries("purchase.change").get().detail == {"fields": ["amount", "purchased_on"]}


# Deleting and anonymising (owner only, after re-authentication) -----------------------


@pytest.mark.parametrize("person", ["bob", "carol", "dave"])
def test_only_the_owner_may_delete(client, people, hanako, person):
    signed_in(client, getattr(people, person))
    reauthenticate(client)
    response = client.post(f"{CHANGELIST}{hanako.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Customer.objects.filter(pk=hanako.pk).exists()
    assert not entries("customer.delete").exists()


def test_deleting_asks_the_owner_to_confirm_the_password_first(client, people, hanako):
    signed_in(client, people.alice)
    response = client.post(f"{CHANGELIST}{hanako.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/reauth/")
    assert Customer.objects.filter(pk=hanako.pk).exists()


def test_the_owner_deletes_a_customer_after_reauthentication(client, people, hanako):
    make_purchase(hanako)
    signed_in(client, people.alice)
    reauthenticate(client)
    response = client.post(f"{CHANGELIST}{hanako.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=hanako.pk).exists()
    assert not Purchase.objects.exists()
    entry = entries("customer.delete").get()
    assert entry.customer_ids == [str(hanako.pk)] and entry.detail == {"purchases": 1}


def anonymise_url(customer):
    return f"{CHANGELIST}{customer.pk}/anonymise/"


def test_anonymous_people_cannot_anonymise(client, hanako):
    response = client.post(anonymise_url(hanako))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert Customer.objects.get(pk=hanako.pk).name == "山田 花子"


@pytest.mark.parametrize("person", ["bob", "carol", "dave", "erin"])
def test_only_the_owner_may_anonymise(client, people, hanako, person):
    signed_in(client, getattr(people, person))
    reauthenticate(client)
    assert client.post(anonymise_url(hanako)).status_code == 403
    assert Customer.objects.get(pk=hanako.pk).name == "山田 花子"
    assert not entries("customer.anonymise").exists()


def test_anonymising_asks_for_the_password_first(client, people, hanako):
    signed_in(client, people.alice)
    response = client.post(anonymise_url(hanako))
    assert response.status_code == 302 and response["Location"].startswith("/admin/reauth/")
    assert Customer.objects.get(pk=hanako.pk).name == "山田 花子"


def test_the_owner_anonymises_a_customer_and_keeps_the_amounts(client, people, hanako):
    purchase = make_purchase(hanako, category="medicine", product="育毛剤プレミアム", amount=9800)
    signed_in(client, people.alice)
    reauthenticate(client)
    assert client.get(anonymise_url(hanako)).status_code == 200
    response = client.post(anonymise_url(hanako))
    assert response.status_code == 302
    fresh = Customer.objects.get(pk=hanako.pk)
    assert fresh.name == "匿名化済み" and fresh.email == "" and fresh.phone == ""
    assert fresh.address == "" and fresh.card_token == "" and fresh.anonymised_at
    assert fresh.email_index == "" and fresh.phone_index == ""
    kept = Purchase.objects.get(pk=purchase.pk)
    assert kept.amount == 9800 and kept.product_name == "（匿名化済み）"
    # One entry for the customer and the purchase: no model.* entry of their saves.
    entry = entries("customer.anonymise").get()
    assert entry.customer_ids == [str(hanako.pk)]
    assert entry.detail == {
        "purchases_kept": 1,
        "fields": [
            "address", "anonymised_at", "card_brand", "card_exp", "card_last4", "card_token",
            "email", "gender", "name", "name_kana", "phone", "postal_code", "product_name",
        ],
    }  # fmt: skip
    saved = AuditEntry.objects.filter(target_id__in=[str(hanako.pk), str(purchase.pk)])
    assert not saved.filter(action="model.update").exists()


def test_the_owner_deletes_a_purchase_after_reauthentication(client, people, hanako):
    purchase = make_purchase(hanako)
    signed_in(client, people.alice)
    response = client.post(f"{PURCHASES}{purchase.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and response["Location"].startswith("/admin/reauth/")
    assert Purchase.objects.filter(pk=purchase.pk).exists()
    reauthenticate(client)
    response = client.post(f"{PURCHASES}{purchase.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Purchase.objects.filter(pk=purchase.pk).exists()
    assert entries("purchase.delete").get().customer_ids == [str(hanako.pk)]


@pytest.mark.parametrize("person", ["bob", "carol"])
def test_only_the_owner_may_delete_purchases(client, people, hanako, person):
    purchase = make_purchase(hanako)
    signed_in(client, getattr(people, person))
    reauthenticate(client)
    assert client.post(f"{PURCHASES}{purchase.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Purchase.objects.filter(pk=purchase.pk).exists()


def test_personal_fields_are_single_line_inputs(client, people, hanako):
    page = signed_in(client, people.carol).get(change_url(hanako)).content.decode()
    assert "<textarea" not in page


def test_the_list_shows_the_masked_reading_and_styles_a_phone_as_cards(client, people, hanako):
    # Issue #24: on a phone (390 px) a row shows masked name, reading, phone and area.
    page = signed_in(client, people.carol).get(CHANGELIST).content.decode()
    assert 'class="field-masked_kana">ヤ***<' in page
    css = open(finders.find("customers/vault.css"), encoding="utf-8").read()
    phone = css[css.index("@media (max-width: 480px)") :]
    assert "#result_list thead { display: none; }" in phone
    assert ".field-masked_email" in phone and "display: none" in phone
