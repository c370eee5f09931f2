"""A small time-to-live cache for dashboard figures that may be a second old.

At 200 requests per second, counting 100,000 runs, reading the newest page of them or
assembling every overview panel for each request would cost more than serving it; these
values are computed at most once per `ttl` seconds (and dropped at once when this process
changes a run).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any


class TtlCache:
    """Remember computed values for `ttl` seconds; the clock is passed in."""

    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self.ttl = ttl
        self.clock = clock
        self._values: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """Return the value for `key`, computing it when absent or older than `ttl`."""
        now = self.clock()
        found = self._values.get(key)
        if found is not None and now - found[0] < self.ttl:
            return found[1]
        value = compute()
        if len(self._values) > 1000:
            self._values.clear()
        self._values[key] = (now, value)
        return value

    def clear(self) -> None:
        """Forget everything (after a change this process made)."""
        self._values.clear()
