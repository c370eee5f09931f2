"""Wall-clock arithmetic in a time zone: handoff instants and the shift an instant is in. Pure.

A handoff is `start + k * length` on the wall clock of the pattern's zone, then placed on
the timeline: a wall time the daylight-saving change skips (02:30 on a spring-forward
night) is the moment an hour on (03:30), a repeated one (01:30 on a fall-back night) its
first occurrence, as maintenance schedules take them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo


@cache
def zone(name: str) -> ZoneInfo:
    """Return the time zone of an IANA name (checked when the rotation was read)."""
    return ZoneInfo(name)


def place(wall: datetime, zone_name: str) -> datetime:
    """Return the UTC instant of a naive wall-clock time in a zone."""
    return wall.replace(tzinfo=zone(zone_name), fold=0).astimezone(UTC)


def wall_of(moment: datetime, zone_name: str) -> datetime:
    """Return the naive wall-clock time of an instant in a zone."""
    return moment.astimezone(zone(zone_name)).replace(tzinfo=None)


def handoff(start: datetime, length: timedelta, zone_name: str, number: int) -> datetime:
    """Return the UTC instant of handoff `number` (0: the start) of a pattern."""
    return place(start + number * length, zone_name)


def shift_number(start: datetime, length: timedelta, zone_name: str, moment: datetime) -> int:
    """Return k such that handoff k <= moment < handoff k+1 (negative: before the start)."""
    guess = (wall_of(moment, zone_name) - start) // length
    while handoff(start, length, zone_name, guess + 1) <= moment:
        guess += 1
    while handoff(start, length, zone_name, guess) > moment:
        guess -= 1
    return guess


def days_between(first: datetime, last: datetime, zone_name: str) -> list[datetime]:
    """Return the local midnights (naive) of every day from `first`'s to `last`'s, in a zone."""
    day = wall_of(first, zone_name).replace(hour=0, minute=0, second=0, microsecond=0)
    end = wall_of(last, zone_name)
    days = []
    while day <= end:
        days.append(day)
        day += timedelta(days=1)
    return days
