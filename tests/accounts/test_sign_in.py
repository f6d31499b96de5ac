import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from accounts.models import TrackedSession
from audit.actions import Outcome
from audit.models import AuditEntry
from tests.signing import enrol, password_step, sign_in_with_code


@pytest.fixture(autouse=True)
def two_factor_on(settings):
    settings.SHOPGUARD_REQUIRE_2FA = True


def signed_in(client):
    return SESSION_KEY in client.session


def failures(user):
    return AuditEntry.objects.filter(action="auth.2fa_failed", actor_id=user.pk)


def test_it_sends_new_people_to_enrol_after_the_password(client, people):
    response = password_step(client, people.carol)
    assert response.status_code == 302
    assert response["Location"] == "/admin/two-factor/setup/"
    assert not signed_in(client)
    assert client.get("/admin/").status_code == 302


def test_it_shows_a_qr_code_and_the_secret_without_inline_script(client, people):
    password_step(client, people.carol)
    response = client.get("/admin/two-factor/setup/")
    assert response.status_code == 200
    device = TOTPDevice.objects.get(user=people.carol, confirmed=False)
    assert 'src="data:image/svg+xml;base64,' in response.text
    assert twofactor.secret_of(device) in response.text
    assert "<script>" not in response.text and 'style="' not in response.text


def test_it_signs_in_after_enrolment_and_shows_ten_recovery_codes_once(client, people):
    password_step(client, people.carol)
    client.get("/admin/two-factor/setup/")
    device = TOTPDevice.objects.get(user=people.carol)
    response = client.post("/admin/two-factor/setup/", {"code": twofactor.current_code(device)})
    assert response.status_code == 200
    codes = StaticToken.objects.filter(device__user=people.carol)
    assert codes.count() == 10
    assert all(token.token in response.text for token in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert signed_in(client)
    assert AuditEntry.objects.filter(action="auth.2fa_enrolled", actor_id=people.carol.pk).exists()
    assert client.get("/admin/").status_code == 200
    # The codes are not shown again: the setup page now sends people to the code step.
    password_step(client, people.carol)
    assert client.get("/admin/two-factor/setup/")["Location"] == "/admin/two-factor/"


def test_a_new_authenticator_is_told_to_the_person_and_every_other_owner(
    client, people, django_capture_on_commit_callbacks, mailoutbox
):
    for person, address in (
        (people.carol, "carol@example.com"),
        (people.alice, "alice@example.com"),
    ):
        person.email = address
        person.save(update_fields=["email"])
    password_step(client, people.carol)
    client.get("/admin/two-factor/setup/")
    device = TOTPDevice.objects.get(user=people.carol)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/two-factor/setup/", {"code": twofactor.current_code(device)})
    told = {address for message in mailoutbox for address in message.to}
    assert {"carol@example.com", "alice@example.com"} <= told  # the person, the owner
    assert all("二要素認証の設定" in message.subject for message in mailoutbox)
    assert all(twofactor.secret_of(device) not in message.body for message in mailoutbox)


def test_it_refuses_a_wrong_enrolment_code_and_records_it(client, people):
    password_step(client, people.carol)
    client.get("/admin/two-factor/setup/")
    response = client.post("/admin/two-factor/setup/", {"code": "000000"})
    assert response.status_code == 200
    assert not signed_in(client)
    assert not TOTPDevice.objects.filter(user=people.carol, confirmed=True).exists()
    assert failures(people.carol).get().detail == {"step": "enrol"}


def test_it_gives_the_session_a_new_key_at_sign_in(client, people):
    device, _ = enrol(people.carol)
    password_step(client, people.carol)
    key_before = client.session.session_key
    sign_in_response = client.post("/admin/two-factor/", {"code": twofactor.current_code(device)})
    assert sign_in_response.status_code == 302
    assert client.session.session_key != key_before
    assert not Session.objects.filter(session_key=key_before).exists()
    assert TrackedSession.objects.filter(
        user=people.carol, session_key=client.session.session_key
    ).exists()


def test_it_refuses_a_wrong_code_and_records_it(client, people):
    enrol(people.carol)
    password_step(client, people.carol)
    response = client.post("/admin/two-factor/", {"code": "123456"})
    assert response.status_code == 200
    assert not signed_in(client)
    entry = failures(people.carol).get()
    assert entry.outcome == Outcome.REFUSED and entry.detail == {"step": "sign_in"}


def test_a_code_works_only_once(client, people):
    device, _ = enrol(people.carol)
    code = twofactor.current_code(device)
    password_step(client, people.carol)
    assert client.post("/admin/two-factor/", {"code": code}).status_code == 302
    client.post("/admin/logout/")
    password_step(client, people.carol)
    response = client.post("/admin/two-factor/", {"code": code})
    assert response.status_code == 200
    assert not signed_in(client)
    assert failures(people.carol).count() == 1


def test_it_refuses_an_expired_code(client, people, clock):
    device, _ = enrol(people.carol)
    code = twofactor.current_code(device)
    clock.advance(90)  # three 30-second steps later: outside the one-step tolerance
    password_step(client, people.carol)
    response = client.post("/admin/two-factor/", {"code": code})
    assert response.status_code == 200
    assert not signed_in(client)
    assert failures(people.carol).count() == 1


def test_a_recovery_code_works_once(client, people):
    _, codes = enrol(people.carol)
    password_step(client, people.carol)
    response = client.post("/admin/two-factor/", {"code": codes[0].upper()})
    assert response.status_code == 302
    assert signed_in(client)
    assert StaticToken.objects.filter(device__user=people.carol).count() == 9
    assert AuditEntry.objects.filter(action="auth.recovery_code_used").get().detail == {"left": 9}
    client.post("/admin/logout/")
    password_step(client, people.carol)
    response = client.post("/admin/two-factor/", {"code": codes[0]})
    assert response.status_code == 200
    assert not signed_in(client)
    assert failures(people.carol).count() == 1


def full_width(code):
    """``code`` as a Japanese input method types it: full-width, with a long-vowel mark
    (ー) for the hyphen."""
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in code)
    return wide.replace("－", "ー")


def test_a_code_typed_in_full_width_signs_in(client, people):
    device, _ = enrol(people.carol)
    code = twofactor.current_code(device)
    password_step(client, people.carol)
    response = client.post("/admin/two-factor/", {"code": full_width(f"{code[:3]}-{code[3:]}")})
    assert response.status_code == 302
    assert signed_in(client)
    assert not failures(people.carol).exists()


def test_a_recovery_code_typed_in_full_width_signs_in(client, people):
    _, codes = enrol(people.carol)
    password_step(client, people.carol)
    typed = full_width(f"{codes[0][:4]}-{codes[0][4:]}".upper())
    response = client.post("/admin/two-factor/", {"code": typed})
    assert response.status_code == 302
    assert signed_in(client)


def test_five_wrong_codes_end_the_attempt(client, people, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    enrol(people.carol)
    password_step(client, people.carol)
    for _ in range(4):
        assert client.post("/admin/two-factor/", {"code": "111111"}).status_code == 200
    response = client.post("/admin/two-factor/", {"code": "111111"})
    assert response["Location"] == "/admin/login/"
    assert client.get("/admin/two-factor/")["Location"] == "/admin/login/"
    assert failures(people.carol).count() == 5


def test_the_password_step_expires_after_five_minutes(client, people, clock):
    device, _ = enrol(people.carol)
    password_step(client, people.carol)
    clock.advance(5 * 60 + 1)
    response = client.post("/admin/two-factor/", {"code": twofactor.current_code(device)})
    assert response["Location"] == "/admin/login/"
    assert not signed_in(client)


def test_the_code_step_needs_the_password_step_first(client, people):
    assert client.get("/admin/two-factor/")["Location"] == "/admin/login/"
    assert client.get("/admin/two-factor/setup/")["Location"] == "/admin/login/"


def test_a_deactivated_person_cannot_finish_signing_in(client, people):
    device, _ = enrol(people.carol)
    password_step(client, people.carol)
    people.carol.is_active = False
    people.carol.save()
    response = client.post("/admin/two-factor/", {"code": twofactor.current_code(device)})
    assert response["Location"] == "/admin/login/"
    assert not signed_in(client)


def test_people_without_a_role_cannot_sign_in(client, people):
    response = password_step(client, people.erin)
    assert response.status_code == 200
    assert not signed_in(client)
    assert "shopguard_pending_sign_in" not in client.session


@pytest.mark.parametrize("name", ["alice", "bob", "carol", "dave"])
def test_every_role_needs_the_second_factor(client, people, name):
    user = getattr(people, name)
    device, _ = enrol(user)
    assert password_step(client, user)["Location"] == "/admin/two-factor/"
    assert not signed_in(client)
    sign_in_response = client.post("/admin/two-factor/", {"code": twofactor.current_code(device)})
    assert sign_in_response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_with_two_factor_off_the_password_signs_in_and_every_page_warns(client, people, settings):
    settings.SHOPGUARD_REQUIRE_2FA = False
    response = password_step(client, people.carol)
    assert response["Location"] == "/admin/"
    assert signed_in(client)
    page = client.get("/admin/")
    assert "Two-factor sign-in is switched off" in page.text


def test_with_two_factor_off_enrolled_people_still_give_their_code(client, people, settings):
    settings.SHOPGUARD_REQUIRE_2FA = False
    enrol(people.carol)
    assert password_step(client, people.carol)["Location"] == "/admin/two-factor/"
    assert not signed_in(client)


def test_with_two_factor_on_no_banner(client, people):
    device, _ = enrol(people.carol)
    sign_in_with_code(client, people.carol, device)
    assert "Two-factor sign-in is switched off" not in client.get("/admin/").text


def test_sign_out_ends_the_session_on_the_server(client, people):
    device, _ = enrol(people.carol)
    sign_in_with_code(client, people.carol, device)
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    assert client.post("/admin/logout/").status_code == 200
    assert not Session.objects.filter(session_key=key).exists()
    assert not TrackedSession.objects.filter(session_key=key).exists()
    assert client.get("/admin/").status_code == 302


def test_sign_in_forgets_sessions_that_have_ended(client, people):
    device, _ = enrol(people.carol)
    TrackedSession.objects.create(user=people.carol, session_key="x" * 32)
    sign_in_with_code(client, people.carol, device)
    keys = set(TrackedSession.objects.values_list("session_key", flat=True))
    assert keys == {client.session.session_key}


def test_a_password_only_session_stops_working_when_two_factor_is_switched_on(
    client, people, settings
):
    settings.SHOPGUARD_REQUIRE_2FA = False
    password_step(client, people.carol)
    assert client.get("/admin/").status_code == 200
    settings.SHOPGUARD_REQUIRE_2FA = True
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert password_step(client, people.carol)["Location"] == "/admin/two-factor/setup/"


def test_a_wrong_code_makes_the_next_try_wait(client, people, clock):
    device, _ = enrol(people.carol)
    password_step(client, people.carol)
    client.post("/admin/two-factor/", {"code": "111111"})
    right_away = client.post("/admin/two-factor/", {"code": twofactor.current_code(device)})
    assert right_away.status_code == 200
    assert not signed_in(client)
    clock.advance(2)
    later = client.post("/admin/two-factor/", {"code": twofactor.current_code(device)})
    assert later.status_code == 302
    assert signed_in(client)


def test_a_name_longer_than_any_account_is_refused_without_a_check(client, db):
    # Found by the form fuzz on PostgreSQL: the lockout record's column refused its length.
    response = client.post("/admin/login/", {"username": "a" * 300, "password": "x" * 20})
    assert response.status_code == 200
    assert "ユーザー名またはパスワードが正しくありません" in response.content.decode()
    from vault.models import LimitCounter

    assert not LimitCounter.objects.filter(limit="password_guesses").exists()  # no guess
