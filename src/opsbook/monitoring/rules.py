"""Threshold rules: is a value over the warning or critical line, and for how long.

Pure: the value and the time are passed in. A rule fires a level only after the value has
stayed at or over that level for the rule's hold duration (`for_seconds`), as Prometheus'
`for:` does; it resolves as soon as the value is back under the warning line. Each call says
which state change happened, if any, so a caller notifies once per change and never again
while nothing changes (no flapping storm: a value that dips under the line must hold the
full duration again before it fires again).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum

from opsbook.runbook.model import AlertRule, Threshold

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


class Level(IntEnum):
    OK = 0
    WARNING = 1
    CRITICAL = 2

    @property
    def label(self) -> str:
        """Return the severity label: ok, warning or critical."""
        return self.name.lower()


class Change(StrEnum):
    PENDING = "pending"
    FIRED = "fired"
    ESCALATED = "escalated"
    DEESCALATED = "deescalated"
    RESOLVED = "resolved"
    CLEARED = "cleared"  # pending, but back under before the hold ended: never fired


def breached(threshold: Threshold | None, value: float) -> bool:
    """Say whether `value` crosses the threshold (a missing threshold is never crossed)."""
    return threshold is not None and _OPS[threshold.op](value, threshold.value)


def level_of(rule: AlertRule, value: float) -> Level:
    """Return the worst level the value crosses right now, ignoring the hold duration."""
    if breached(rule.critical, value):
        return Level.CRITICAL
    if breached(rule.warning, value):
        return Level.WARNING
    return Level.OK


@dataclass(frozen=True)
class Track:
    """What a rule remembers between evaluations."""

    warning_since: datetime | None = None
    critical_since: datetime | None = None
    firing: Level = Level.OK
    last_value: float | None = None

    @property
    def pending(self) -> bool:
        """Say whether the value is over a line but the hold has not ended."""
        return self.firing is Level.OK and self.warning_since is not None


def shown_level(rule: AlertRule, track: Track) -> Level:
    """Return the severity an open alert shows: the worst line its last value crosses.

    The hold decides when an alert fires and when it escalates, not what it says: a pending
    alert over the critical line is critical, and so is a warning alert whose value has
    climbed over the critical line before the critical hold ended.
    """
    if track.last_value is None:
        return track.firing
    return max(track.firing, level_of(rule, track.last_value))


@dataclass(frozen=True)
class Outcome:
    track: Track
    change: Change | None
    level: Level


def evaluate(rule: AlertRule, track: Track, value: float | None, now: datetime) -> Outcome:
    """Advance a rule by one sample; `value` None means the source failed (nothing changes)."""
    if value is None:
        return Outcome(track, None, track.firing)
    current = level_of(rule, value)
    warning_since = (track.warning_since or now) if current >= Level.WARNING else None
    critical_since = (track.critical_since or now) if current is Level.CRITICAL else None
    held = Level.OK
    if critical_since is not None and _held(critical_since, now, rule):
        held = Level.CRITICAL
    elif warning_since is not None and _held(warning_since, now, rule):
        held = Level.WARNING
    if track.firing is not Level.OK and current >= Level.WARNING:
        # Once firing, stay firing while over the warning line; only climb after a hold.
        held = max(held, Level.WARNING)
    new = Track(warning_since, critical_since, held, value)
    return Outcome(new, _change(track, new), held)


def _held(since: datetime, now: datetime, rule: AlertRule) -> bool:
    return (now - since).total_seconds() >= rule.for_seconds


def _change(old: Track, new: Track) -> Change | None:
    if old.firing is Level.OK and new.firing is not Level.OK:
        return Change.FIRED
    if old.firing is not Level.OK and new.firing is Level.OK:
        return Change.RESOLVED
    if new.firing > old.firing:
        return Change.ESCALATED
    if Level.OK < new.firing < old.firing:
        return Change.DEESCALATED
    if not old.pending and new.pending:
        return Change.PENDING
    if old.pending and new.firing is Level.OK and new.warning_since is None:
        return Change.CLEARED
    return None
