"""The 403 and 405 pages: a page of the site's own (Japanese first, English when chosen)
with a way back, never a blank answer or a dead end."""

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from exports.models import ExportRequest
from shopguard.errors import way_back

REFUSED_METHOD_JA = "この操作はこのページからはできません。"
REFUSED_METHOD_EN = "This action cannot be done from this page."


def an_export(people):
    return ExportRequest.objects.create(
        requested_by=people.bob, purpose="お礼状", recipient="internal", fields=["name"]
    )


def test_a_get_to_a_post_only_url_gets_the_405_page_with_its_allow_header(client, people):
    client.force_login(people.alice)
    export = an_export(people)
    detail = f"/admin/exports/{export.pk}/"
    response = client.get(f"{detail}decide/", HTTP_REFERER=f"http://testserver{detail}")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "405.html" in [template.name for template in response.templates]
    assert REFUSED_METHOD_JA in response.text
    assert f'href="{detail}"' in response.text  # the page the person came from
    assert 'href="/admin/"' in response.text  # and their home
    assert response["Content-Security-Policy"]  # the page keeps the security headers


def test_the_405_page_speaks_english_when_english_is_chosen(client, people):
    client.force_login(people.carol)
    response = client.get("/admin/logout/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 405 and response["Allow"] == "POST, OPTIONS"
    assert REFUSED_METHOD_EN in response.text and REFUSED_METHOD_JA not in response.text
    # No Referer: no "previous page" link, only home.
    assert 'href="/admin/"' in response.text
    assert "Back to the previous page" not in response.text


def test_home_is_the_public_policy_for_someone_signed_out(people):
    request = RequestFactory().get("/admin/logout/")
    request.user = AnonymousUser()
    assert way_back(request) == {"back_url": None, "home_url": "/privacy/"}


def test_the_405_page_never_links_to_another_site(client, people):
    client.force_login(people.carol)
    response = client.get("/admin/logout/", HTTP_REFERER="https://evil.example/admin/")
    assert response.status_code == 405
    assert "evil.example" not in response.text
    assert "前のページに戻る" not in response.text


def test_the_403_page_offers_the_way_back(client, people):
    client.force_login(people.carol)  # staff may not see the ledger
    response = client.get("/admin/audit/auditentry/", HTTP_REFERER="http://testserver/admin/")
    assert response.status_code == 403
    assert "403.html" in [template.name for template in response.templates]
    assert 'href="/admin/"' in response.text
    assert "前のページに戻る" in response.text and "ホームに戻る" in response.text


def test_a_referer_whose_path_names_another_site_is_not_linked(people):
    request = RequestFactory().get("/x/", HTTP_REFERER="http://testserver//evil.example/a")
    request.user = AnonymousUser()
    assert way_back(request)["back_url"] is None
