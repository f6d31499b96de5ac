"""The customer list's actions: only those other apps offer (customers.admin.LIST_ACTIONS),
each to who holds its permission; never Django's bulk deletion."""

import pytest

from audit.models import AuditEntry
from customers.admin import LIST_ACTIONS
from customers.models import Customer
from exports.admin_actions import REQUEST_EXPORTS, SELECTED_SESSION_KEY, export_selected

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/customers/customer/"


def test_exports_and_shipping_offer_their_actions_through_the_hook():
    from shipping.admin_actions import ADD_SHIPMENTS, gift_for_selected, ship_selected

    assert [(o.action, o.permission) for o in LIST_ACTIONS] == [
        (export_selected, REQUEST_EXPORTS),
        (ship_selected, ADD_SHIPMENTS),
        (gift_for_selected, ADD_SHIPMENTS),
    ]


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
    # An action not offered to this person is ignored: the list shows itself again (staff
    # have an action of their own since issue #23, so the admin redirects back to it).
    assert response.status_code in (200, 302)
    page = client.get(CHANGELIST).text
    assert 'value="ship_selected"' in page and 'value="export_selected"' not in page
    assert SELECTED_SESSION_KEY not in client.session


def test_a_rows_selection_box_is_djangos_own_html(people, hanako):
    # Written directly instead of through the widget's template (issue #26): the same
    # markup, so the admin's JavaScript and the screen reader's label still work.
    from django.contrib import admin
    from django.utils.translation import override

    customers = admin.site._registry[Customer]
    for language in ("ja", "en"):
        with override(language):
            ours = customers.action_checkbox(hanako)
            assert ours == admin.ModelAdmin.action_checkbox(customers, hanako)
            assert 'class="action-select"' in ours and str(hanako.pk) in ours


def test_the_list_shows_a_selection_box_and_a_link_per_row(client, people, hanako):
    client.force_login(people.alice)
    page = client.get(CHANGELIST).content.decode()
    assert f'name="_selected_action" value="{hanako.pk}" class="action-select"' in page
    # Each row opens its own customer's page (the link is reversed once per page).
    assert f'href="/admin/customers/customer/{hanako.pk}/"' in page
