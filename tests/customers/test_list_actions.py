"""The customer list's actions: only those other apps offer (customers.admin.LIST_ACTIONS),
each to who holds its permission; never Django's bulk deletion."""

import pytest

from audit.models import AuditEntry
from customers.admin import LIST_ACTIONS
from customers.models import Customer
from exports.admin_actions import REQUEST_EXPORTS, SELECTED_SESSION_KEY, export_selected

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/customers/customer/"


@pytest.fixture
def hanako(db):
    return Customer.objects.create(name="山田 花子", email="hanako@example.com")


def test_exports_offers_its_action_through_the_hook():
    assert [(o.action, o.permission) for o in LIST_ACTIONS] == [(export_selected, REQUEST_EXPORTS)]


def test_the_owner_is_offered_no_bulk_deletion_of_customers(client, people, hanako):
    client.force_login(people.alice)
    page = client.get(CHANGELIST).content.decode()
    assert 'value="export_selected"' in page and 'value="delete_selected"' not in page
    data = {"action": "delete_selected", "_selected_action": [hanako.pk], "post": "yes"}
    response = client.post(CHANGELIST, data)
    assert response.status_code == 302 and response.url == CHANGELIST
    assert Customer.objects.filter(pk=hanako.pk).exists()
    assert not AuditEntry.objects.filter(action="customer.delete").exists()


def test_an_action_is_refused_to_who_lacks_its_permission(client, people, hanako):
    client.force_login(people.carol)
    response = client.post(
        CHANGELIST, {"action": "export_selected", "_selected_action": [hanako.pk]}
    )
    # With no action to offer, the list ignores the choice and shows itself again.
    assert response.status_code == 200 and 'value="export_selected"' not in response.text
    assert SELECTED_SESSION_KEY not in client.session
