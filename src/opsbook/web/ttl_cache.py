"""A small time-to-live cache for dashboard figures that may be a second old.

At 200 requests per second, counting 100,000 runs, reading the newest page of them or
assembling every overview panel for each request would cost more than serving it; these
values are computed at most once per `ttl` seconds (and dropped at once when this process
changes a run). Only one caller computes a value at a time: while it does, the others
get the previous value, or wait for the first one when there is none yet, so an expiry
under load does not set every request computing the same thing at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any


class TtlCache:
    """Remember computed values for `ttl` seconds; the clock is passed in."""

    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self.ttl = ttl
        self.clock = clock
        self._values: dict[Hashable, tuple[float, Any]] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """Return the value for `key`, computing it when absent or older than `ttl`."""
        found = self._values.get(key)
        if found is not None and self.clock() - found[0] < self.ttl:
            return found[1]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        if found is not None and not lock.acquire(blocking=False):
            return found[1]  # someone is refreshing it: the previous value will do
        if found is None:
            lock.acquire()
        try:
            again = self._values.get(key)
            if again is not None and again is not found and self.clock() - again[0] < self.ttl:
                return again[1]
            started = self.clock()
            value = compute()
            if len(self._values) > 1000:
                self._values.clear()
            self._values[key] = (started, value)
            return value
        finally:
            lock.release()

    def clear(self) -> None:
        """Forget everything (after a change this process made)."""
        self._values.clear()
