"""A rotation as typed, immutable data: layers of shifts, people, overrides. Pure.

A rotation has layers in escalation order (the first is the primary, the second the
secondary...). A layer has one shift pattern, or several for follow-the-sun (each covering
hours of the day in its own time zone). A shift pattern hands over from one person to the
next every `length` of wall-clock time from `start` in its zone, so a weekly 09:00 handoff
stays at 09:00 across a daylight-saving change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta


@dataclass(frozen=True)
class Member:
    """A person of a rotation: who, where to page them, and when they take part (UTC)."""

    name: str
    address: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def active_at(self, moment: datetime) -> bool:
        """Say whether this person takes shifts that begin at `moment`."""
        return (self.since is None or self.since <= moment) and (
            self.until is None or moment < self.until
        )

    @property
    def label(self) -> str:
        """Return the name with the address, as pages show it."""
        return f"{self.name} <{self.address}>" if self.address else self.name


@dataclass(frozen=True)
class Hours:
    """The part of each day a follow-the-sun shift covers (wall clock; may wrap midnight)."""

    start: time
    end: time

    def covers(self, wall: time) -> bool:
        """Say whether this wall-clock time of day is inside the hours."""
        if self.start < self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end  # wraps midnight; equal: all day

    @property
    def text(self) -> str:
        """Return the hours as written: `08:00-20:00`."""
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Pattern:
    """People handing over every `length` (wall clock) from `start` (naive, in `zone`)."""

    people: tuple[Member, ...]
    length: timedelta
    length_text: str
    start: datetime
    zone: str
    hours: Hours | None = None
    field: str = ""


@dataclass(frozen=True)
class Layer:
    """One escalation tier of a rotation: primary, secondary..."""

    name: str
    patterns: tuple[Pattern, ...]


@dataclass(frozen=True)
class Override:
    """Someone covering a layer from `start` to `end` (UTC), for anyone or for one person."""

    who: Member
    start: datetime
    end: datetime
    layer: str
    covers: str = ""
    field: str = ""


@dataclass(frozen=True)
class Rotation:
    """A named rotation: its layers in escalation order and its overrides in written order."""

    name: str
    zone: str
    layers: tuple[Layer, ...]
    overrides: tuple[Override, ...] = ()

    def layer(self, name: str) -> Layer | None:
        """Find a layer by name, ignoring case."""
        return next((lyr for lyr in self.layers if lyr.name.lower() == name.lower()), None)
