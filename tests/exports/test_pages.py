"""The export pages keep the admin's frame (issue #23): the header with the person's
name and sign-out, and the menu. On the main before issue #23 they were rendered without
the admin site's context and dropped both (this test fails there)."""

import pytest

from customers.models import Customer
from tests.exports.helpers import latest, new_request
from tests.signing import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def export(client, people):
    Customer.objects.create(name="山田 花子", email="hanako@example.com")
    new_request(signed_in(client.__class__(), people.bob, reauthenticated=True))
    return latest()


@pytest.mark.parametrize(
    "who, path",
    [
        ("alice", "/admin/exports/"),
        ("alice", "/admin/exports/ledger/"),
        ("bob", "/admin/exports/new/"),
        ("alice", "detail"),
        ("dave", "/admin/exports/ledger/"),
    ],
)
def test_every_export_page_keeps_the_header_sign_out_and_menu(client, people, export, who, path):
    signed_in(client, getattr(people, who), reauthenticated=True)
    url = f"/admin/exports/{export.pk}/" if path == "detail" else path

    response = client.get(url)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="user-tools"' in page and 'id="logout-form"' in page
    assert 'id="nav-sidebar"' in page
    assert "exports/pages.css" in page


def test_a_refusal_page_keeps_the_frame_too(client, people, export):
    signed_in(client, people.alice, reauthenticated=True)
    response = client.get("/admin/exports/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert 'id="logout-form"' in response.content.decode()
