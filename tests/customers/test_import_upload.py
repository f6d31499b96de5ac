import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEntry
from customers.models import Customer
from tests.customers.import_samples import TWO_CUSTOMERS, current_csv, current_row
from tests.signing import signed_in

URL = "/admin/customers/import/"


def upload(client, text, encoding="utf-8"):
    csv_file = SimpleUploadedFile("customers_export.csv", text.encode(encoding), "text/csv")
    return client.post(URL, {"file": csv_file, "format": "shopify"})


def test_anonymous_users_are_sent_to_sign_in(client, db):
    response = upload(client, TWO_CUSTOMERS)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert Customer.objects.count() == 0
    assert not AuditEntry.objects.filter(action="customer.import").exists()


def test_people_without_a_role_are_refused(client, people):
    # The vault's one gate (vault.access.vault_view) answers 403, as on every vault page.
    signed_in(client, people.erin)
    response = upload(client, TWO_CUSTOMERS)
    assert response.status_code == 403
    assert Customer.objects.count() == 0


@pytest.mark.parametrize("name", ["carol", "dave"])
def test_staff_and_auditors_are_refused(client, people, name):
    signed_in(client, getattr(people, name))
    assert client.get(URL).status_code == 403
    response = upload(client, TWO_CUSTOMERS)
    assert response.status_code == 403
    assert Customer.objects.count() == 0
    assert not AuditEntry.objects.filter(action="customer.import").exists()


@pytest.mark.parametrize("name", ["alice", "bob"])
def test_owner_and_manager_can_import(client, people, name):
    signed_in(client, getattr(people, name))
    page = client.get(URL)
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]

    response = upload(client, TWO_CUSTOMERS, encoding="cp932")

    assert response.status_code == 302 and response["Location"] == URL
    assert Customer.objects.count() == 2
    entry = AuditEntry.objects.get(action="customer.import")
    assert entry.actor_username == name and entry.outcome == "ok"
    follow = client.get(URL)
    assert "2 件を登録し、0 件を更新しました。" in follow.content.decode()


def test_the_form_lists_problems_and_imports_nothing(client, people):
    signed_in(client, people.alice)
    csv = current_csv(current_row(), current_row(email="private-value-xyz"))

    response = upload(client, csv)

    page = response.content.decode()
    assert response.status_code == 200
    assert "3行目, Email:" in page
    assert "private-value-xyz" not in page
    assert Customer.objects.count() == 0
    entry = AuditEntry.objects.get(action="customer.import")
    assert entry.outcome == "refused" and entry.actor_username == "alice"


def test_the_form_refuses_card_numbers(client, people):
    signed_in(client, people.bob)
    csv = current_csv(current_row(note="4242-4242-4242-4242"))

    response = upload(client, csv)

    page = response.content.decode()
    assert response.status_code == 200
    assert "2行目, Note:" in page and "カード番号" in page
    assert "4242-4242" not in page
    assert Customer.objects.count() == 0


def test_a_missing_file_is_a_form_error(client, people):
    signed_in(client, people.alice)
    response = client.post(URL, {"format": "shopify"})
    assert response.status_code == 200
    assert Customer.objects.count() == 0
    assert not AuditEntry.objects.filter(action="customer.import").exists()


def refusal():
    entry = AuditEntry.objects.get(action="customer.import")
    assert entry.outcome == "refused" and entry.customer_ids == []
    return entry


def test_the_form_refuses_a_bom_followed_by_bytes_that_are_not_utf8(client, people):
    signed_in(client, people.alice)
    data = b"\xef\xbb\xbf" + TWO_CUSTOMERS.encode("cp932")
    csv_file = SimpleUploadedFile("customers_export.csv", data, "text/csv")

    response = client.post(URL, {"file": csv_file, "format": "shopify"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "文字コードを読み取れません" in page and "Shift_JIS (CP932)" in page
    assert Customer.objects.count() == 0
    entry = refusal()
    assert entry.actor_username == "alice" and entry.detail["reason"] == "encoding"
    assert entry.detail["sha256"] == hashlib.sha256(data).hexdigest()


def test_the_form_refuses_more_rows_than_the_limit(client, people, settings):
    settings.SHOPGUARD_IMPORT_MAX_ROWS = 1
    signed_in(client, people.bob)

    response = upload(client, TWO_CUSTOMERS)

    assert response.status_code == 200
    assert "上限 1 行" in response.content.decode()
    assert Customer.objects.count() == 0
    entry = refusal()
    assert entry.actor_username == "bob" and entry.detail["reason"] == "too_many_rows"
    assert "hanako" not in str(entry.detail)


def test_the_form_shows_the_row_limit(client, people, settings):
    settings.SHOPGUARD_IMPORT_MAX_ROWS = 50_000
    signed_in(client, people.alice)
    assert "50,000 行" in client.get(URL).content.decode()


def test_the_form_lists_the_first_100_problems_and_counts_the_rest(client, people):
    signed_in(client, people.alice)
    csv = current_csv(*[current_row(email=f"bad-{i}") for i in range(120)])

    response = upload(client, csv)

    page = response.content.decode()
    assert page.count("行目, Email:") == 100
    assert "ほかに 20 件の問題があります。" in page
    assert "120 件の問題があるため" in page
    assert Customer.objects.count() == 0
    assert refusal().detail["problems"] == 120


def test_the_form_imports_an_upload_spooled_to_disk(client, people, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100  # larger uploads go to a temporary file
    signed_in(client, people.alice)

    response = upload(client, TWO_CUSTOMERS)

    assert response.status_code == 302
    assert Customer.objects.count() == 2
    assert AuditEntry.objects.get(action="customer.import").outcome == "ok"
