"""Shopify's Customer ID is the customer's external id, not a card number (issue #24).

Shopify's ids are 13-digit numbers and some pass the Luhn check: on main before this
change a real Shopify export was refused whole as holding card numbers.
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from customers.models import Customer
from customers.validators import contains_card_number
from tests.customers.import_samples import current_csv, current_row, luhn_valid_id

pytestmark = pytest.mark.usefixtures("test_reads")

CARD = "4242 4242 4242 4242"


def run_import(tmp_path, text):
    path = tmp_path / "customers_export.csv"
    path.write_bytes(text.encode())
    out, err = StringIO(), StringIO()
    call_command("import_customers", str(path), "--format", "shopify", stdout=out, stderr=err)
    return out.getvalue()


def test_a_luhn_valid_shopify_customer_id_is_kept_as_the_external_id(db, tmp_path):
    shopify_id = luhn_valid_id()
    assert contains_card_number(shopify_id)  # the case that was refused

    output = run_import(tmp_path, current_csv(current_row(customer_id=shopify_id)))

    assert "1 created" in output
    assert Customer.objects.get().external_id == f"shopify:{shopify_id}"


def test_a_reimport_updates_by_the_customer_id_even_when_the_email_changed(db, tmp_path):
    shopify_id = luhn_valid_id()
    run_import(tmp_path, current_csv(current_row(customer_id=shopify_id)))
    original = Customer.objects.get()

    moved = current_row(customer_id=shopify_id, email="hanako.new@example.jp")
    output = run_import(tmp_path, current_csv(moved))

    assert "0 created, 1 updated" in output
    customer = Customer.objects.get()
    assert customer.pk == original.pk
    assert customer.email == "hanako.new@example.jp"


def test_the_card_guard_still_guards_every_other_column(db, tmp_path):
    row = current_row(customer_id=luhn_valid_id(), note=CARD)

    with pytest.raises(CommandError, match="nothing was imported"):
        run_import(tmp_path, current_csv(row))

    assert not Customer.objects.exists()


def test_a_card_number_written_as_a_card_in_the_id_column_is_still_refused(db, tmp_path):
    # No platform writes its ids with spaces: this is a card number in the id column.
    row = current_row(customer_id=CARD)

    with pytest.raises(CommandError, match="nothing was imported"):
        run_import(tmp_path, current_csv(row))

    assert not Customer.objects.exists()


def test_the_same_customer_id_twice_in_one_file_is_refused(db, tmp_path):
    rows = [
        current_row(customer_id="7001"),
        current_row(customer_id="7001", email="other@example.jp"),
    ]
    err = StringIO()
    path = tmp_path / "twice.csv"
    path.write_bytes(current_csv(*rows).encode())

    with pytest.raises(CommandError):
        call_command("import_customers", str(path), stderr=err)

    assert "3行目, Customer ID: 2行目と同じ顧客IDです。" in err.getvalue()
    assert not Customer.objects.exists()
