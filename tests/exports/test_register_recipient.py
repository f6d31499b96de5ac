"""Export recipients choose from the outsourcee register (policy.Outsourcee): the entry
chosen names the recipient, a typed name finds its entry, a basis that does not fit the
kind of recipient is refused, and the second person sees whether it is registered."""

import pytest

from customers.models import Customer
from exports.models import ExportRequest
from policy.models import Outsourcee
from tests.exports.helpers import new_request
from tests.signing import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def carrier(db):
    Customer.objects.create(name="見本 花子", email="hanako@example.com")
    return Outsourcee.objects.create(
        name_ja="見本運輸株式会社",
        name_en="Mihon Transport",
        service="carrier",
        work_ja="商品の配送",
        work_en="delivering orders",
        data_items=["name", "address"],
        basis="entrustment",
        country="JP",
    )


def test_choosing_an_entry_names_the_recipient(client, people, carrier):
    client = signed_in(client, people.bob, reauthenticated=True)
    response = new_request(client, recipient="contractor", outsourcee=carrier.pk)
    assert response.status_code == 302
    export = ExportRequest.objects.get()
    assert export.outsourcee == carrier and export.recipient_name == "見本運輸株式会社"
    page = client.get(f"/admin/exports/{export.pk}/").content.decode()
    assert 'id="export-register"' in page and "見本運輸株式会社（" in page


def test_a_typed_name_finds_its_entry(client, people, carrier):
    client = signed_in(client, people.bob, reauthenticated=True)
    new_request(client, recipient="contractor", recipient_name="Mihon Transport")
    assert ExportRequest.objects.get().outsourcee == carrier


def test_an_entry_of_the_wrong_basis_is_refused(client, people, carrier):
    client = signed_in(client, people.bob, reauthenticated=True)
    response = new_request(
        client,
        recipient="third_party",
        outsourcee=carrier.pk,
        recipient_address="東京都千代田区見本1-1",
        recipient_representative="見本 一郎",
        provision_basis="consent",
    )
    assert response.status_code == 400
    assert "outsourcee" in response.context["form"].errors
    assert not ExportRequest.objects.exists()


def test_a_recipient_outside_the_register_is_shown_as_such(client, people, carrier):
    client = signed_in(client, people.bob, reauthenticated=True)
    new_request(client, recipient="contractor", recipient_name="知らない会社")
    export = ExportRequest.objects.get()
    assert export.outsourcee is None
    page = client.get(f"/admin/exports/{export.pk}/").content.decode()
    assert "登録簿にない提供先です。" in page


def test_an_internal_export_names_no_entry(client, people, carrier):
    client = signed_in(client, people.bob, reauthenticated=True)
    new_request(client, outsourcee=carrier.pk)
    assert ExportRequest.objects.get().outsourcee is None
