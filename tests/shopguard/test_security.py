import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path

from shopguard.settings import PASSWORD_HASHERS
from tests.signing import enrol, sign_in_with_code


def test_it_hashes_passwords_with_argon2_first():
    with override_settings(PASSWORD_HASHERS=PASSWORD_HASHERS):
        encoded = make_password("a long enough password")
        assert identify_hasher(encoded).algorithm == "argon2"
        assert encoded.startswith("argon2$argon2id$")
        assert check_password("a long enough password", encoded)


@pytest.mark.django_db
def test_it_refuses_passwords_shorter_than_12_characters():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("Short1!xyz")
    validate_password("a much longer passphrase")


@pytest.mark.django_db
def test_it_sends_the_security_headers(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_sends_hsts_and_redirects_to_https_in_production(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    assert client.get("/admin/login/").status_code == 301
    response = client.get("/admin/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.django_db
def test_no_store_on_every_page_of_a_signed_in_person(client, people):
    client.force_login(people.alice)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


@pytest.mark.django_db
def test_people_without_a_role_cannot_enter_the_admin(client, people):
    client.force_login(people.erin)
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_it_signs_in_and_stamps_the_session(client, people):
    device, _ = enrol(people.bob)
    response = sign_in_with_code(client, people.bob, device)
    assert response.status_code == 302
    assert "signed_in_at" in client.session


@pytest.mark.django_db
def test_cookies_are_httponly_and_samesite(client, people):
    sign_in_with_code(client, people.bob, enrol(people.bob)[0])
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


@pytest.mark.django_db
def test_sessions_end_after_the_absolute_lifetime(client, people, clock):
    sign_in_with_code(client, people.bob, enrol(people.bob)[0])
    elapsed = 0
    while client.get("/admin/").status_code == 200:  # active every 14 minutes: never idle
        clock.advance(14 * 60)
        elapsed += 14 * 60
    assert 12 * 3600 <= elapsed < 12 * 3600 + 14 * 60
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_sessions_end_after_15_idle_minutes(client, people, clock):
    sign_in_with_code(client, people.bob, enrol(people.bob)[0])
    clock.advance(14 * 60)
    assert client.get("/admin/").status_code == 200
    clock.advance(16 * 60)
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_a_session_is_written_at_most_once_a_minute_yet_never_ends_while_used(
    client, people, clock
):
    sign_in_with_code(client, people.bob, enrol(people.bob)[0])
    client.get("/admin/")
    with CaptureQueriesContext(connection) as seen:
        clock.advance(30)
        assert client.get("/admin/").status_code == 200
    assert not [q for q in seen.captured_queries if 'UPDATE "django_session"' in q["sql"]]
    for _ in range(40):  # a page every 50 seconds for over half an hour
        clock.advance(50)
        assert client.get("/admin/").status_code == 200
    with CaptureQueriesContext(connection) as seen:
        clock.advance(61)
        assert client.get("/admin/").status_code == 200
    assert [q for q in seen.captured_queries if 'UPDATE "django_session"' in q["sql"]]


@pytest.mark.django_db
def test_an_unrenewed_use_still_ends_the_session_within_15_idle_minutes(client, people, clock):
    """Renewed at the first page, not at the one 30 seconds later: the session ends 15
    minutes after the first, 14½ idle minutes after the last."""
    sign_in_with_code(client, people.bob, enrol(people.bob)[0])
    clock.advance(120)
    assert client.get("/admin/").status_code == 200
    clock.advance(30)
    assert client.get("/admin/").status_code == 200
    clock.advance(14 * 60 + 31)
    assert client.get("/admin/").status_code == 302


def boom(request):
    raise RuntimeError("secret-marker hanako@example.com")


urlpatterns = [path("boom/", boom)]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_the_500_page_leaks_nothing(client):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "secret-marker" not in body and "hanako" not in body and "Traceback" not in body


@pytest.mark.django_db
def test_the_404_page_leaks_nothing(client):
    response = client.get("/admin-nothing-here/hanako@example.com")
    assert response.status_code == 404
    body = response.content.decode()
    assert "hanako" not in body and "urlpatterns" not in body
