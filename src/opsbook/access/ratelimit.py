"""Failed-login rate limiting: a sliding window per key; the clock is passed in."""

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
