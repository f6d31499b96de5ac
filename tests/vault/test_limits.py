"""vault.limits: one counter row per key, counted inside the work's transaction."""

from datetime import timedelta

import pytest
from django.db import transaction

from vault import limits
from vault.models import LimitCounter

pytestmark = pytest.mark.django_db

TRIO = limits.Limit("test_trio", 3, timedelta(minutes=10))


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
    assert len(declared) == 5  # guesses, codes, reveals, requests per IP and per address
    assert len({limit.name for limit in declared}) == len(declared)


def test_keys_whose_uses_all_expired_are_forgotten(clock):
    take(TRIO, "old")
    clock.advance(10 * 60 + 1)
    take(TRIO, "new")
    TRIO.forget_expired()  # run after each counting commit (not inside a test transaction)
    assert list(LimitCounter.objects.values_list("key", flat=True)) == ["new"]
