"""Failed-login rate limiting; the clock is passed in.

`FailureLimiter` counts failures per key in a sliding window. `LoginLimiter` uses three of
them so that guessing is slow but nobody can lock someone else out:

- a source and an account together are locked after 5 failures (the guesser's own pair);
- a source is locked after 20 failures, whatever accounts it tried (spraying);
- an account with 5 failures from anywhere is only slowed down: a source that failed
  before may try it once per `account_pace` seconds, and a source with no failures (its
  owner at their own desk) signs in at once.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class FailureLimiter:
    """Refuse a key after `limit` failures within `window` seconds."""

    limit: int = 5
    window: float = 300.0
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def retry_after(self, key: str, now: float) -> float:
        """Return seconds until `key` may try again (0 when it may try now)."""
        times = self._recent(key, now)
        if len(times) < self.limit:
            return 0.0
        return max(0.0, times[0] + self.window - now)

    def count(self, key: str, now: float) -> int:
        """Return how many failures `key` has within the window."""
        return len(self._recent(key, now))

    def last(self, key: str, now: float) -> float | None:
        """Return when `key` last failed within the window, or None."""
        times = self._recent(key, now)
        return times[-1] if times else None

    def record_failure(self, key: str, now: float) -> None:
        """Count one failed attempt for `key`."""
        self._recent(key, now).append(now)
        if len(self._failures) > 10_000:
            self._forget_idle(now)

    def reset(self, key: str) -> None:
        """Forget `key`'s failures after a successful login."""
        self._failures.pop(key, None)

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, v in self._failures.items() if not v or v[-1] <= now - self.window]:
            del self._failures[key]


@dataclass(frozen=True)
class Wait:
    """How long a sign-in must wait, and why (empty when it may go ahead)."""

    seconds: float = 0.0
    reason: str = ""


@dataclass
class LoginLimiter:
    """Limit failed sign-ins per (source, account), per source, and pace them per account."""

    pair: FailureLimiter = field(default_factory=lambda: FailureLimiter(limit=5))
    source: FailureLimiter = field(default_factory=lambda: FailureLimiter(limit=20))
    account: FailureLimiter = field(default_factory=lambda: FailureLimiter(limit=5))
    account_pace: float = 30.0

    def wait(self, *, source: str, account: str, now: float) -> Wait:
        """Return how long a sign-in from `source` as `account` ("" for a token) must wait."""
        pair = self.pair.retry_after(_pair(source, account), now)
        if pair > 0:
            return Wait(pair, "from this address for this account")
        spraying = self.source.retry_after(source, now)
        if spraying > 0:
            return Wait(spraying, "from this address")
        if not account or self.source.count(source, now) == 0:
            return Wait()
        if self.account.count(account, now) < self.account.limit:
            return Wait()
        last = self.account.last(account, now) or now
        paced = last + self.account_pace - now
        return Wait(paced, "for this account") if paced > 0 else Wait()

    def failed(self, *, source: str, account: str, now: float) -> None:
        """Count a failed sign-in from `source` as `account`."""
        self.pair.record_failure(_pair(source, account), now)
        self.source.record_failure(source, now)
        if account:
            self.account.record_failure(account, now)

    def succeeded(self, *, source: str, account: str) -> None:
        """Forget the failures a successful sign-in settles: its pair and its account.

        The source keeps its count, so signing in to one's own account between guesses at
        others does not reset the spraying limit.
        """
        self.pair.reset(_pair(source, account))
        if account:
            self.account.reset(account)


def _pair(source: str, account: str) -> str:
    return f"{source}\x00{account}"
