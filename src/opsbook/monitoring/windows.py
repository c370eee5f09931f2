"""Recurring maintenance windows such as "Sundays 02:00-04:00". Pure.

During a window alerts are recorded but not notified. Times are UTC unless the window
names a zone (`Sundays 02:00-04:00 Europe/Berlin`). A window may cross midnight
(`Daily 23:00-01:00`); the part after midnight belongs to the day it started on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_GROUPS = {
    "daily": frozenset(range(7)),
    "every day": frozenset(range(7)),
    "weekdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
}
_SHAPE = re.compile(
    r"^(?P<days>.+?)\s+(?P<start>\d{1,2}:\d{2})\s*(?:-|–|to)\s*(?P<end>\d{1,2}:\d{2})"
    r"(?:\s+(?P<zone>[A-Za-z_]+(?:/[A-Za-z_+\-0-9]+)*))?$"
)
WINDOW_HINT = (
    'write windows like "Sundays 02:00-04:00", "Weekdays 22:00-23:30" or "Daily 01:00-02:00 UTC"'
)


class WindowError(ValueError):
    """A window that cannot be read; the message says how to write it."""


@dataclass(frozen=True)
class MaintenanceWindow:
    text: str
    days: frozenset[int]
    start: time
    end: time
    zone: str = "UTC"

    def contains(self, moment: datetime) -> bool:
        """Say whether `moment` (timezone-aware) falls inside the window."""
        local = moment.astimezone(ZoneInfo(self.zone))
        clock = local.time().replace(tzinfo=None)
        if self.start < self.end:
            return local.weekday() in self.days and self.start <= clock < self.end
        # Crosses midnight: the evening part is on a listed day, the morning part after one.
        if clock >= self.start:
            return local.weekday() in self.days
        yesterday = (local - timedelta(days=1)).weekday()
        return clock < self.end and yesterday in self.days


def parse_window(text: str) -> MaintenanceWindow:
    """Read a window such as "Sundays 02:00-04:00"; raise WindowError saying what is wrong."""
    found = _SHAPE.match(text.strip())
    if not found:
        raise WindowError(f'maintenance window "{text}" is not understood; {WINDOW_HINT}')
    days = _days(found["days"], text)
    start, end = _clock(found["start"], text), _clock(found["end"], text)
    if start == end:
        raise WindowError(f'maintenance window "{text}" starts and ends at the same time')
    zone = found["zone"] or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise WindowError(f'maintenance window "{text}": unknown time zone "{zone}"') from None
    return MaintenanceWindow(text, days, start, end, zone)


def _days(words: str, text: str) -> frozenset[int]:
    raw = words.strip().lower()
    if raw in _GROUPS:
        return _GROUPS[raw]
    found: set[int] = set()
    for part in re.split(r"\s*(?:,|and|&)\s*", raw):
        name = part.strip().rstrip("s")
        match = [i for i, day in enumerate(_DAYS) if name and day.startswith(name[:3])]
        if len(name) < 3 or not match:
            raise WindowError(f'maintenance window "{text}": "{part}" is not a day; {WINDOW_HINT}')
        found.add(match[0])
    return frozenset(found)


def _clock(value: str, text: str) -> time:
    hours, minutes = (int(x) for x in value.split(":"))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise WindowError(f'maintenance window "{text}": "{value}" is not a time of day')
    return time(0, 0) if hours == 24 else time(hours, minutes)


def in_maintenance(
    windows: tuple[MaintenanceWindow, ...], moment: datetime
) -> MaintenanceWindow | None:
    """Return the window `moment` falls in, if any."""
    return next((w for w in windows if w.contains(moment)), None)
