"""Durations and frequencies in the words people write: `15 minutes`, `4h`, `Daily`, cron."""

from __future__ import annotations

import re

from opsbook.runbook.model import Schedule
from opsbook.runbook.problems import ValueProblem

_UNITS: dict[str, float] = {
    "ms": 0.001,
    "millisecond": 0.001,
    "milliseconds": 0.001,
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
}

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
_WORDS: dict[str, float] = {
    "hourly": 3600,
    "daily": 86400,
    "nightly": 86400,
    "weekly": 604800,
    "biweekly": 14 * 86400,
    "fortnightly": 14 * 86400,
    "monthly": 30 * 86400,
    "quarterly": 91 * 86400,
    "annual": 365 * 86400,
    "annually": 365 * 86400,
    "yearly": 365 * 86400,
}
_AS_NEEDED = {"as needed", "on demand", "ad hoc", "as required", "manual"}
_CRON_FIELD = r"[\d*/,\-A-Za-z?]+"
_CRON = re.compile(rf"^{_CRON_FIELD}(\s+{_CRON_FIELD}){{4}}$")
_DURATION_HINT = "write it like `30s`, `15 minutes`, `1 hour`, `4h` or `1 day`"


def parse_duration(text: str) -> float:
    """Return the seconds in `15 minutes`, `1h30m`, `4 hours`, `90s` or a bare number of seconds."""
    raw = text.strip().lower().replace(",", " ")
    raw = re.sub(r"^(within|every|after|in)\s+", "", raw)
    if not raw:
        raise ValueProblem("empty duration", _DURATION_HINT)
    if re.fullmatch(r"\d+(\.\d+)?", raw):
        return float(raw)
    if re.fullmatch(r"(an?|one)\s+[a-z]+", raw):
        raw = "1 " + raw.split()[1]
    total = 0.0
    pos = 0
    for match in _PART.finditer(raw):
        between = raw[pos : match.start()].strip()
        if between not in ("", "and"):
            break
        unit = _UNITS.get(match.group(2))
        if unit is None:
            raise ValueProblem(f'unknown time unit "{match.group(2)}" in "{text}"', _DURATION_HINT)
        total += float(match.group(1)) * unit
        pos = match.end()
    if pos == 0 or raw[pos:].strip():
        raise ValueProblem(f'cannot read "{text}" as a duration', _DURATION_HINT)
    return total


def parse_optional_duration(text: str) -> float | None:
    """Return seconds, or None for words that name no fixed time (`Next business day`, blank)."""
    raw = text.strip().lower()
    if not raw or raw in ("-", "n/a", "none", "tbd"):
        return None
    if "business day" in raw:
        return 86400.0
    return parse_duration(raw)


def parse_schedule(text: str) -> Schedule | None:
    """Read `Daily`, `Every 6 hours`, `As needed` or a cron expression; blank gives None."""
    raw = text.strip()
    low = raw.lower().rstrip(".")
    if not low or low in ("-", "tbd", "n/a"):
        return None
    if low in _AS_NEEDED:
        return Schedule(text=raw)
    if low in _WORDS:
        return Schedule(text=raw, every_seconds=_WORDS[low])
    head, _, rest = low.partition(" ")
    if head in _WORDS and re.match(r"(on|at)\b", rest):
        # `Monthly on the 1st`, `Daily at 03:00 Europe/Berlin`: maintenance/frequency.py
        # reads the day and time; here it is the word's interval.
        return Schedule(text=raw, every_seconds=_WORDS[head])
    if _CRON.match(raw) and any(ch.isdigit() or ch == "*" for ch in raw):
        return Schedule(text=raw, cron=raw)
    match = re.fullmatch(r"(?:every|each)\s+(.+)", low)
    if match:
        return Schedule(text=raw, every_seconds=parse_duration(match.group(1)))
    try:
        return Schedule(text=raw, every_seconds=parse_duration(low))
    except ValueProblem:
        raise ValueProblem(
            f'cannot read "{raw}" as a frequency',
            "write Daily, Weekly, Monthly, Annual, `Every 6 hours`, `As needed` or a cron "
            "expression such as `0 3 * * *`",
        ) from None


def format_duration(seconds: float) -> str:
    """Write seconds back the short way: 90 → `90s`, 3600 → `1h`, 5400 → `90m`."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{round(seconds * 1000)}ms"
