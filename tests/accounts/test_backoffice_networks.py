"""The back office's network allow-list (issue #22, finding 6): SHOPGUARD_BACKOFFICE_NETWORKS.

The live-server test connects from two loopback addresses to a real server, so the
address the app sees is the connection's own, as for a shop without a proxy in front.
"""

import http.client

import pytest

from accounts.invites import invite_path
from audit.models import AuditEntry
from tests.factories import PASSWORD, make_person
from tests.signing import signed_in
from vault.roles import STAFF

OFFICE, ELSEWHERE = "127.0.0.2", "127.0.0.3"
ADMIN_PAGES = ["/admin/", "/admin/login/", "/admin/customers/customer/", "/admin/exports/"]
PUBLIC_PAGES = ["/privacy/", "/privacy/requests/"]


def refusals():
    entries = AuditEntry.objects.filter(action="access.refused").order_by("seq")
    return [entry for entry in entries if entry.detail.get("reason") == "network"]


@pytest.fixture
def office_only(settings):
    settings.SHOPGUARD_BACKOFFICE_NETWORKS = ["192.0.2.0/24"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_every_back_office_page_is_refused_outside_the_networks(client, people, office_only, path):
    signed_in(client, people.alice)
    response = client.get(path, REMOTE_ADDR="203.0.113.5")

    assert response.status_code == 403
    page = response.content.decode()
    assert "この場所からは管理画面を開けません" in page and 'href="/privacy/"' in page
    [entry] = refusals()
    assert (entry.ip, entry.actor_id) == ("203.0.113.5", people.alice.pk)
    assert entry.detail["path"] == path


def test_the_sign_in_is_refused_before_any_password_is_checked(client, people, office_only):
    fields = {"username": "alice", "password": PASSWORD}
    response = client.post("/admin/login/", fields, REMOTE_ADDR="203.0.113.5")

    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action__startswith="auth.").exists()
    assert [entry.actor_id for entry in refusals()] == [None]


def test_inside_the_networks_the_back_office_works_as_before(client, people, office_only):
    signed_in(client, people.alice)
    assert client.get("/admin/", REMOTE_ADDR="192.0.2.77").status_code == 200
    assert refusals() == []


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_are_open_from_anywhere(client, db, office_only, path):
    assert client.get(path, REMOTE_ADDR="203.0.113.5").status_code == 200
    assert refusals() == []


def test_an_empty_list_lets_every_address_in(client, people, settings):
    settings.SHOPGUARD_BACKOFFICE_NETWORKS = []
    signed_in(client, people.alice)
    assert client.get("/admin/", REMOTE_ADDR="203.0.113.5").status_code == 200


def get(server_url, source, path):
    port = int(server_url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, source_address=(source, 0))
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_live_server_lets_in_only_the_allowed_network(server_url, settings):
    settings.SHOPGUARD_BACKOFFICE_NETWORKS = [f"{OFFICE}/32"]

    assert get(server_url, OFFICE, "/admin/login/")[0] == 200
    status, page = get(server_url, ELSEWHERE, "/admin/login/")
    assert status == 403 and "この場所からは管理画面を開けません" in page
    assert get(server_url, ELSEWHERE, "/privacy/requests/")[0] == 200

    assert [entry.ip for entry in refusals()] == [ELSEWHERE]


def test_a_new_person_opening_their_invite_elsewhere_is_told_and_the_token_is_not_kept(
    client, people, office_only
):
    grace = make_person("grace", STAFF)
    grace.set_unusable_password()
    grace.save()
    link = invite_path(grace)
    token = link.rstrip("/").rsplit("/", 1)[1]

    response = client.get(link, REMOTE_ADDR="203.0.113.5")

    assert response.status_code == 403
    page = response.content.decode()
    assert "この場所からは管理画面を開けません" in page
    assert "リンクはまだ使われていません" in page and "同じリンクを開き" in page
    [entry] = refusals()
    uid = link.split("/")[3]
    assert entry.detail["path"] == f"/admin/invite/{uid}/-/"
    assert token not in str(entry.detail)
    # From the office the same link still opens the form: nothing was used up.
    assert client.get(link, REMOTE_ADDR="192.0.2.7").status_code == 302
    # Any other page says nothing about invitations.
    assert "招待" not in client.get("/admin/", REMOTE_ADDR="203.0.113.5").content.decode()
