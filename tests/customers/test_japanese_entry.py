"""Japanese input is folded before it is validated (issue #24): full-width and half-width
forms of digits, letters and hyphens are one value, and kana stay full width.

On main before this change 「〒530-0001」 was refused by the customer form, a phone typed
with ー was refused, and the identity-check code was refused in full-width digits.
"""

from io import StringIO

import pytest
from django.core.management import call_command

from customers.models import Customer
from datarequests.forms import VerificationCodeForm
from tests.customers.import_samples import current_csv, current_row
from tests.customers.vault import CHANGELIST, HANAKO
from tests.signing import signed_in
from vault.japan import fold_code, fold_width, normalise_postal_code

pytestmark = pytest.mark.usefixtures("test_reads")


@pytest.mark.parametrize(
    "typed", ["〒530-0001", "〒５３０－０００１", "５３０ー０００１", "5300001", "〒 530−0001"]
)
def test_a_postal_code_in_any_usual_form_is_stored_as_123_4567(typed):
    assert normalise_postal_code(typed) == "530-0001"


def test_kana_stay_full_width_and_half_width_kana_become_full_width():
    assert fold_width("ﾔﾏﾀﾞ ﾀﾛｳ") == "ヤマダ タロウ"
    assert fold_width("ヨーコ　ＡＢＣ") == "ヨーコ ABC"  # ー in a name is a letter
    assert fold_code("０９０ー１２３４ー５６７８") == "090-1234-5678"


def test_the_customer_form_accepts_japanese_forms_and_stores_them_folded(client, people):
    typed = {
        **HANAKO,
        "name": "見本　ﾊﾅｺ",
        "postal_code": "〒530-0001",
        "phone": "０９０ー０１２３ー４５６７",
        "email": "ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ",
    }

    response = signed_in(client, people.alice).post(f"{CHANGELIST}add/", typed)

    assert response.status_code == 302, response.context["adminform"].form.errors
    customer = Customer.objects.get()
    assert customer.postal_code == "530-0001"
    assert customer.phone == "090-0123-4567"
    assert customer.email == "hanako@example.jp"
    assert customer.name == "見本 ハナコ"


def test_the_identity_check_code_is_accepted_in_full_width_digits():
    form = VerificationCodeForm({"code": "１２３４５６"})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["code"] == "123456"


def test_a_code_with_letters_is_still_refused():
    assert not VerificationCodeForm({"code": "１２ab５６"}).is_valid()


def test_an_import_folds_postal_codes_and_phones_like_the_form(db, tmp_path):
    row = current_row(zip_code="〒530-0001", phone="０９０ー０１２３ー４５６７")
    path = tmp_path / "customers_export.csv"
    path.write_bytes(current_csv(row).encode())

    call_command("import_customers", str(path), stdout=StringIO())

    customer = Customer.objects.get()
    assert customer.postal_code == "530-0001"
    assert customer.phone == "090-0123-4567"
