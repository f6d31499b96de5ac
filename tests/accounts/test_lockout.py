import pytest
from axes.models import AccessAttempt

from tests.factories import PASSWORD
from tests.signing import password_step


@pytest.mark.django_db
def test_it_locks_on_the_fifth_failure_with_the_lockout_page(client, people):
    for _ in range(4):
        response = password_step(client, "carol", "wrong password!!")
        assert response.status_code == 200  # the sign-in form again, with its error
    response = password_step(client, "carol", "wrong password!!")
    assert response.status_code == 429
    page = response.content.decode()
    assert "ロック" in page and "30" in page and "locked" in page
    assert "<html" in page.lower()  # a real page, not bare text
    # Even the right password is refused while locked.
    assert password_step(client, "carol", PASSWORD).status_code == 429
    assert AccessAttempt.objects.filter(username="carol").get().failures_since_start >= 5


@pytest.mark.django_db
def test_another_username_is_unaffected(client, people):
    for _ in range(5):
        password_step(client, "carol", "wrong password!!")
    response = password_step(client, "bob", PASSWORD)
    assert response.status_code == 302  # on to the second factor, not locked
    assert response.url.startswith("/admin/two-factor/")


@pytest.mark.django_db
def test_it_unlocks_after_the_cool_off(client, people, clock):
    for _ in range(5):
        password_step(client, "carol", "wrong password!!")
    clock.advance(29 * 60)
    assert password_step(client, "carol", PASSWORD).status_code == 429
    clock.advance(2 * 60)
    response = password_step(client, "carol", PASSWORD)
    assert response.status_code == 302
