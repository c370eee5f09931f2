"""Times as people read them: relative ("4 min ago", "in 11 min") and exact, never raw ISO.

Pure: the current moment and the time zone are passed in. The pages and the CLI's human
output both use these; `--json` and the API keep ISO 8601.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

# Past this, a relative time says less than the date does.
RELATIVE_DAYS = 7


def aware(value: datetime | str) -> datetime:
    """Return a moment as an aware datetime; ISO text and naive values are taken as UTC."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def span(seconds: float) -> str:
    """Say a length of time in its largest unit or two: `45 s`, `4 min`, `2 h 5 min`, `3 days`."""
    whole = int(abs(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min"
    if whole < 86400:
        hours, minutes = divmod(whole // 60, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days = whole // 86400
    return f"{days} day{'' if days == 1 else 's'}"


def relative(moment: datetime, now: datetime, *, due: bool = False) -> str:
    """Say when `moment` is from `now`: `just now`, `4 min ago`, `in 11 min`.

    `due` reads a deadline: a past one is `overdue by 4 min`. Past a week, the date.
    """
    seconds = (aware(moment) - aware(now)).total_seconds()
    if abs(seconds) >= RELATIVE_DAYS * 86400:
        return f"on {aware(moment).astimezone(UTC):%Y-%m-%d}"
    if abs(seconds) < 45 and not due:
        return "just now"
    if seconds >= 0:
        return f"in {span(seconds)}"
    return f"overdue by {span(seconds)}" if due else f"{span(seconds)} ago"


def exact(moment: datetime, zone: tzinfo = UTC) -> str:
    """Return the moment to the second in a zone, named: `2026-12-02 14:44:05 CET`."""
    local = aware(moment).astimezone(zone)
    name = local.tzname() or "UTC"
    return f"{local:%Y-%m-%d %H:%M:%S} {name}"


def short(moment: datetime, now: datetime, zone: tzinfo = UTC) -> str:
    """Return the moment for a table: `14:44` today, `Nov 30 14:44` this year, else the date."""
    local, today = aware(moment).astimezone(zone), aware(now).astimezone(zone)
    if local.date() == today.date():
        return f"{local:%H:%M}"
    if local.year == today.year:
        return f"{local:%b %d %H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"
