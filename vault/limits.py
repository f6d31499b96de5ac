"""Every rate limit and quota in ShopGuard, in one place, each with its reason.

A limit allows ``number`` uses per key within any ``per`` (a sliding window); a lockout
counts uses until ``per`` passes without one, so once its uses are spent the key stays
locked for ``per`` after the last of them. Its count
lives in one ``LimitCounter`` row per key, and ``take`` counts a use only after locking
that row (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the IMMEDIATE transaction
already holds the database's write lock). Call it inside the transaction of the work it
limits: the row stays locked until that work and its ledger entry commit, so parallel
requests for the same key queue and each one counts what the others did.
"""

import hashlib
from collections.abc import Sequence
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from vault.models import LimitCounter

# Keys longer than the column (a typed username, say) are kept as their digest.
_KEY_CHARS = cast(int, LimitCounter._meta.get_field("key").max_length)

# Whose uses a limit counts: any value, or a tuple of values (joined into one key).
LimitKey = object


class Limit:
    """``number`` uses per key in any ``per``; the number may come from a setting. With
    ``lockout``, uses count until ``per`` passes without one (see the module docstring)."""

    def __init__(
        self,
        name: str,
        number: int,
        per: timedelta,
        *,
        setting: str | None = None,
        lockout: bool = False,
    ) -> None:
        self.name, self._number, self.per, self.setting = name, number, per, setting
        self.lockout = lockout

    def __repr__(self) -> str:
        return f"<Limit {self.name}: {self.number} per {self.per}>"

    @property
    def number(self) -> int:
        number: int = getattr(settings, self.setting) if self.setting else self._number
        return number

    def take(self, key: LimitKey) -> bool:
        """Count one use for ``key`` and return True, or False (counting nothing) when the
        uses within the window are used up. Must run inside the work's transaction."""
        if not connection.in_atomic_block:
            raise RuntimeError(f"{self.name}: take() counts inside the work's transaction.")
        counter = self._locked_counter(key)
        now = timezone.now()
        uses = self._counted(counter.uses, now.timestamp())
        allowed = len(uses) < self.number
        if allowed:
            uses.append(now.timestamp())
            counter.last_use = now
        if uses != counter.uses:
            counter.uses = uses
            counter.save(update_fields=["uses", "last_use"])
            # Once this work commits, holding no lock, drop the keys whose uses all expired.
            transaction.on_commit(self.forget_expired)
        return allowed

    def reserve(self, key: LimitKey) -> bool:
        """Take a use in a transaction of its own, committed before a slow check (a
        password hash) runs, so parallel checks see each other's reservations."""
        with transaction.atomic():
            return self.take(key)

    def left(self, key: LimitKey) -> int:
        """Uses still allowed for ``key`` now (read without a lock: for messages only)."""
        uses = LimitCounter.objects.filter(limit=self.name, key=_key(key)).values_list(
            "uses", flat=True
        )
        counted = self._counted(uses.first() or [], timezone.now().timestamp())
        return max(0, self.number - len(counted))

    def _counted(self, uses: Sequence[float], now: float) -> list[float]:
        """The uses (timestamps, oldest first) that still count at ``now``."""
        since = now - self.per.total_seconds()
        if self.lockout:
            return list(uses) if uses and uses[-1] > since else []
        return [at for at in uses if at > since]

    def clear(self, key: LimitKey) -> None:
        """Forget ``key``'s uses (a right password clears its guesses)."""
        LimitCounter.objects.filter(limit=self.name, key=_key(key)).delete()

    def forget_expired(self) -> None:
        """Delete the counters whose newest use has left the window (they count nothing)."""
        stale = LimitCounter.objects.filter(limit=self.name, last_use__lt=timezone.now() - self.per)
        stale.delete()

    def _locked_counter(self, key: LimitKey) -> LimitCounter:
        key = _key(key)
        # A row deleted (cleared, forgotten) while this waited for its lock is made again.
        for _attempt in range(3):
            LimitCounter.objects.bulk_create(
                [LimitCounter(limit=self.name, key=key)], ignore_conflicts=True
            )
            counter = LimitCounter.objects.select_for_update().filter(limit=self.name, key=key)
            if (found := counter.first()) is not None:
                return found
        raise RuntimeError(f"{self.name}: the counter for a key could not be locked.")


def _key(key: LimitKey) -> str:
    text = "|".join(str(part) for part in key) if isinstance(key, tuple) else str(key)
    if len(text) > _KEY_CHARS:
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


# The limits ---------------------------------------------------------------------------

# 20 reveals an hour per staff member (SHOPGUARD_STAFF_REVEALS_PER_HOUR) covers a busy
# hour of customer calls; more looks like copying the list. Owner and manager have a
# guide instead (ELEVATED_REVEALS).
STAFF_REVEALS = Limit(
    "staff_reveals", 20, timedelta(hours=1), setting="SHOPGUARD_STAFF_REVEALS_PER_HOUR"
)
# Owners and managers reveal without the staff quota, but 30 values an hour
# (SHOPGUARD_ELEVATED_REVEALS_PER_HOUR) is their guide: a busy day's look-ups, never a
# list being copied. Past it each further batch of as many values needs a fresh
# re-authentication (ELEVATED_REVEAL_BATCHES, keyed by the person and the moment they
# confirmed their password, which lasts 10 minutes), and the other owners are alerted:
# a borrowed session cannot read the customer list out value by value.
ELEVATED_REVEALS = Limit(
    "elevated_reveals", 30, timedelta(hours=1), setting="SHOPGUARD_ELEVATED_REVEALS_PER_HOUR"
)
ELEVATED_REVEAL_BATCHES = Limit(
    "elevated_reveal_batches",
    30,
    timedelta(minutes=10),
    setting="SHOPGUARD_ELEVATED_REVEALS_PER_HOUR",
)
# 5 password checks per username and address, then 30 minutes locked after the last
# (SHOPGUARD_SIGN_IN_FAILURES, SHOPGUARD_SIGN_IN_LOCKOUT_MINUTES): enough for typos, far
# too few to guess a 12-character password, and short enough that the shop is not
# locked out for long. A lockout: failures count until 30 minutes pass without one, and
# refused guesses do not renew the lock. The one count of sign-in failures: reserved
# before the hash is checked, so parallel guesses cannot slip past the lockout
# (accounts.backends); a right password clears it.
PASSWORD_GUESSES = Limit(
    "password_guesses",
    5,
    timedelta(minutes=getattr(settings, "SHOPGUARD_SIGN_IN_LOCKOUT_MINUTES", 30)),
    setting="SHOPGUARD_SIGN_IN_FAILURES",
    lockout=True,
)
# 5 second-factor codes per pending sign-in (its 5 minutes): a mistyped code or two,
# never a search of the million codes; then the password is asked again.
SECOND_FACTOR_CODES = Limit("second_factor_codes", 5, timedelta(minutes=5))
# 5 public data requests per address an hour: a person rarely needs a second one, and a
# script cannot bury the owner's list under fake requests.
DATA_REQUESTS = Limit("data_requests", 5, timedelta(hours=1))
# 3 public data requests per typed e-mail address a day (counted by its keyed digest,
# whether or not it is a customer's): a person needs one, and nobody can fill a
# customer's mailbox with identity-check codes.
DATA_REQUESTS_PER_ADDRESS = Limit("data_requests_per_address", 3, timedelta(days=1))
