"""vault.limits: one counter row per key, counted inside the work's transaction."""

from datetime import timedelta

import pytest
from django.db import transaction

from vault import limits
from vault.models import LimitCounter

pytestmark = pytest.mark.django_db

TRIO = limits.Limit("test_trio", 3, timedelta(minutes=10))
LOCKOUT = limits.Limit("test_lockout", 3, timedelta(minutes=10), lockout=True)


def take(limit, key):
    with transaction.atomic():
        return limit.take(key)


def test_it_allows_the_number_then_refuses_without_counting():
    assert [take(TRIO, "a") for _ in range(5)] == [True, True, True, False, False]
    assert len(LimitCounter.objects.get(limit="test_trio", key="a").uses) == 3
    assert TRIO.left("a") == 0


def test_each_key_has_its_own_count():
    for _ in range(3):
        take(TRIO, "a")
    assert take(TRIO, ("b", "carol")) is True
    assert TRIO.left(("b", "carol")) == 2


def test_a_use_leaves_the_window_after_its_time(clock):
    take(TRIO, "a")
    clock.advance(5 * 60)
    take(TRIO, "a"), take(TRIO, "a")
    assert take(TRIO, "a") is False
    clock.advance(5 * 60 + 1)  # the first use is older than ten minutes now
    assert take(TRIO, "a") is True
    assert take(TRIO, "a") is False


def test_a_lockout_lasts_its_time_after_the_last_use_then_starts_afresh(clock):
    take(LOCKOUT, "a")
    clock.advance(8 * 60)
    take(LOCKOUT, "a")
    clock.advance(8 * 60)  # the first use is 16 minutes old: it still counts
    assert take(LOCKOUT, "a") is True
    assert take(LOCKOUT, "a") is False and LOCKOUT.left("a") == 0
    clock.advance(9 * 60)  # refused tries do not renew the lock...
    assert take(LOCKOUT, "a") is False
    clock.advance(60 + 1)  # ...which ends ten minutes after the last use, with every use
    assert LOCKOUT.left("a") == 3
    assert [take(LOCKOUT, "a") for _ in range(4)] == [True, True, True, False]


def test_the_password_guesses_are_a_lockout_of_the_sign_in_settings(settings):
    assert limits.PASSWORD_GUESSES.lockout
    assert limits.PASSWORD_GUESSES.per == timedelta(minutes=30)
    settings.SHOPGUARD_SIGN_IN_FAILURES = 7
    assert limits.PASSWORD_GUESSES.number == 7


@pytest.mark.django_db(transaction=True)  # outside any test transaction
def test_it_counts_only_inside_a_transaction():
    with pytest.raises(RuntimeError, match="transaction"):
        TRIO.take("a")
    assert not LimitCounter.objects.exists()


def test_a_use_whose_work_rolls_back_is_not_counted():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        TRIO.take("a")
        1 / 0  # noqa: B018 - the work fails
    assert TRIO.left("a") == 3


def test_reserve_commits_its_use_and_clear_forgets_it():
    assert TRIO.reserve("a") and TRIO.reserve("a")
    assert TRIO.left("a") == 1
    TRIO.clear("a")
    assert TRIO.left("a") == 3


def test_a_long_key_is_kept_as_its_digest():
    key = ("203.0.113.9", "x" * 300)
    assert take(TRIO, key) is True
    stored = LimitCounter.objects.get(limit="test_trio").key
    assert stored.startswith("sha256:") and len(stored) <= 200
    assert TRIO.left(key) == 2


def test_the_staff_quota_follows_its_setting(settings):
    settings.SHOPGUARD_STAFF_REVEALS_PER_HOUR = 2
    assert limits.STAFF_REVEALS.number == 2


def test_every_limit_has_its_own_name():
    declared = [v for v in vars(limits).values() if isinstance(v, limits.Limit)]
    # guesses, codes, staff reveals, the owners' reveal guide and its batches, requests per
    # IP and per address
    assert len(declared) == 7
    assert len({limit.name for limit in declared}) == len(declared)


def test_keys_whose_uses_all_expired_are_forgotten(clock):
    take(TRIO, "old")
    clock.advance(10 * 60 + 1)
    take(TRIO, "new")
    TRIO.forget_expired()  # run after each counting commit (not inside a test transaction)
    assert list(LimitCounter.objects.values_list("key", flat=True)) == ["new"]
