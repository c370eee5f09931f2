"""A maintenance row's frequency as a schedule: when it is next due, in UTC. Pure.

Two kinds of schedule, as people mean them:
- a calendar (`Daily`, `Weekly on Sunday at 03:00`, `Monthly on the 1st`, a cron
  expression): wall-clock times in the task's time zone, so 03:00 stays 03:00 across a
  daylight-saving change. A wall time the change skips (02:30 on a spring-forward night)
  is taken as the same moment an hour on (03:30), as Vixie cron runs it; a wall time the
  change repeats (01:30 on a fall-back night) is due once, at its first occurrence;
- an interval (`Every 6 hours`, `Hourly`): elapsed time, whatever the clocks say.

`As needed` is never due. Nothing here reads the clock: every function takes its times.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opsbook.errors import BadInput
from opsbook.maintenance.cron import croniter_module

FREQUENCY_HINT = (
    "write Daily, Weekly, Monthly, `Monthly on the 1st`, `Weekly on Sunday at 03:00`, "
    "`Every 6 hours`, `As needed` or a cron expression such as `0 3 * * *`"
)
_AS_NEEDED = {"as needed", "on demand", "ad hoc", "as required", "manual", "-", ""}
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_CALENDAR = {
    "daily": "{m} {h} * * *",
    "nightly": "{m} {h} * * *",
    "weekly": "{m} {h} * * {dow}",
    "monthly": "{m} {h} {dom} * *",
    "quarterly": "{m} {h} {dom} 1,4,7,10 *",
    "annual": "{m} {h} {dom} {mon} *",
    "annually": "{m} {h} {dom} {mon} *",
    "yearly": "{m} {h} {dom} {mon} *",
}
_INTERVAL_WORDS = {"hourly": 3600.0, "biweekly": 14 * 86400.0, "fortnightly": 14 * 86400.0}
_UNITS = {"minute": 60.0, "hour": 3600.0, "day": 86400.0, "week": 604800.0}
_CRON_FIELD = r"[\d*/,\-A-Za-z?]+"
_CRON = re.compile(rf"^{_CRON_FIELD}(\s+{_CRON_FIELD}){{4}}$")


@dataclass(frozen=True)
class Frequency:
    """A schedule: a cron expression in a zone, an interval in seconds, or never."""

    text: str
    cron: str | None = None
    every_seconds: float | None = None
    zone: str = "UTC"

    @property
    def as_needed(self) -> bool:
        """Say whether the task is never due by the clock."""
        return self.cron is None and self.every_seconds is None


def parse_frequency(text: str, *, zone: str = "UTC") -> Frequency:
    """Read a frequency as people write it; a trailing time-zone name overrides `zone`."""
    raw = " ".join(text.split())
    words = raw.split(" ")
    if words and "/" in words[-1] and not _CRON.match(raw):
        zone, raw = words[-1], " ".join(words[:-1])
    _check_zone(zone, text)
    low = raw.lower().rstrip(".")
    if low in _AS_NEEDED:
        return Frequency(text=text.strip())
    if _CRON.match(raw) and any(ch.isdigit() or ch == "*" for ch in raw):
        _check_cron(raw, text)
        return Frequency(text=text.strip(), cron=raw, zone=zone)
    every = _interval(low)
    if every is not None:
        return Frequency(text=text.strip(), every_seconds=every, zone=zone)
    cron = _calendar(low)
    if cron is None:
        raise BadInput(f'cannot read "{text.strip()}" as a frequency', FREQUENCY_HINT)
    return Frequency(text=text.strip(), cron=cron, zone=zone)


def _check_zone(zone: str, text: str) -> None:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput(
            f'unknown time zone "{zone}" in frequency "{text.strip()}"',
            "name an IANA zone such as Europe/Berlin or America/New_York",
        ) from None


def _check_cron(expression: str, text: str) -> None:
    if not croniter_module().croniter.is_valid(expression):
        raise BadInput(f'"{text.strip()}" is not a valid cron expression', FREQUENCY_HINT)


def _interval(low: str) -> float | None:
    if low in _INTERVAL_WORDS:
        return _INTERVAL_WORDS[low]
    match = re.fullmatch(r"(?:every|each)\s+(\d+(?:\.\d+)?\s+)?([a-z]+?)s?", low)
    if match is None or match.group(2) not in _UNITS:
        return None
    count = float(match.group(1) or 1)
    if count <= 0:
        return None
    return count * _UNITS[match.group(2)]


def _calendar(low: str) -> str | None:
    match = re.fullmatch(r"([a-z]+)(?:\s+on\s+(?:the\s+)?([a-z0-9 ]+?))?(?:\s+at\s+(\S+))?", low)
    if match is None or match.group(1) not in _CALENDAR:
        return None
    word, on, at = match.groups()
    hour, minute = _time_of_day(at) if at else (0, 0)
    dow, dom, mon = "1", "1", "1"
    if on:
        day = on.strip()
        if word == "weekly" and day.rstrip("s") in _DAYS:
            dow = str((_DAYS.index(day.rstrip("s")) + 1) % 7)
        elif word in ("annual", "annually", "yearly") and _month_day(day):
            mon, dom = _month_day(day) or ("1", "1")
        elif word in ("monthly", "quarterly") and re.fullmatch(r"(\d{1,2})(st|nd|rd|th)?", day):
            dom = re.sub(r"\D", "", day)
            if not 1 <= int(dom) <= 31:
                return None
        else:
            return None
    return _CALENDAR[word].format(m=minute, h=hour, dow=dow, dom=dom, mon=mon)


def _month_day(day: str) -> tuple[str, str] | None:
    match = re.fullmatch(r"([a-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?", day)
    if match is None or match.group(1) not in _MONTHS or not 1 <= int(match.group(2)) <= 31:
        return None
    return str(_MONTHS.index(match.group(1)) + 1), match.group(2)


def _time_of_day(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise BadInput(f'"{text}" is not a time of day', "write it as HH:MM, such as 03:00")
    return int(match.group(1)), int(match.group(2))


def next_due(frequency: Frequency, after: datetime) -> datetime | None:
    """Return the first due time strictly after `after` (aware), in UTC; None: never."""
    if frequency.as_needed:
        return None
    moment = after.astimezone(UTC)
    if frequency.every_seconds is not None:
        return moment + timedelta(seconds=frequency.every_seconds)
    return next(_cron_times(frequency, moment), None)


def due_times(frequency: Frequency, start: datetime, end: datetime) -> Iterator[datetime]:
    """Yield every due time t with start <= t <= end, in UTC (interval: from `start`)."""
    if frequency.as_needed:
        return
    begin, finish = start.astimezone(UTC), end.astimezone(UTC)
    if frequency.every_seconds is not None:
        step = timedelta(seconds=frequency.every_seconds)
        moment = begin
        while moment <= finish:
            yield moment
            moment += step
        return
    for moment in _cron_times(frequency, begin - timedelta(microseconds=1)):
        if moment > finish:
            return
        yield moment


def _cron_times(frequency: Frequency, after: datetime) -> Iterator[datetime]:
    """Yield the cron's times strictly after `after`, in UTC, each wall time once."""
    zone = ZoneInfo(frequency.zone)
    # Walk wall-clock times (naive), so croniter never sees an offset change; an hour
    # earlier than `after`'s wall time, so a repeated (fall-back) hour is not jumped.
    wall = after.astimezone(zone).replace(tzinfo=None) - timedelta(hours=1)
    times = croniter_module().croniter(frequency.cron, wall)
    last: datetime | None = None
    while True:  # croniter raises when no time matches for years (`0 0 31 2 *`)
        candidate = times.get_next(datetime)
        # fold=0: the first of a repeated wall time; a skipped one lands after the gap.
        moment = candidate.replace(tzinfo=zone, fold=0).astimezone(UTC)
        if moment <= after or (last is not None and moment <= last):
            continue
        last = moment
        yield moment
