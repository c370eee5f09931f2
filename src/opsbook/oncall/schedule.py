"""Who is on call at an instant, and the schedule of shifts over a window. Pure.

Each layer of a rotation puts one person on call at a time: the pattern (follow-the-sun:
the first pattern whose hours cover the instant) names whose turn it is, then the last
written override of that layer that applies replaces them ("most recent override wins").
An override naming whom it covers applies only while that person is scheduled.

A person who joins (`since`) or leaves (`until`) changes who takes the next shifts and
nothing before: the turn passes to the next person of the list who takes part, so nobody
does two shifts in a row because someone left.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from opsbook.oncall.clock_math import days_between, handoff, place, shift_number, wall_of
from opsbook.oncall.model import Layer, Member, Override, Pattern, Rotation
from opsbook.oncall.people import key


@dataclass(frozen=True)
class OnCall:
    """One layer's person at an instant, and why: their turn, or an override."""

    rotation: str
    layer: str
    tier: int
    person: Member
    scheduled: Member | None
    override: Override | None
    pattern: Pattern | None

    @property
    def why(self) -> str:
        """Say why this person is the one, as pages and timelines show it."""
        where = f"{self.layer} layer of rotation {self.rotation}"
        if self.override is not None:
            covered = f" covering {self.scheduled.name}" if self.scheduled else ""
            return (
                f"{self.person.name} is on call in the {where} by an override{covered} "
                f"({self.override.start:%Y-%m-%d %H:%M} to {self.override.end:%Y-%m-%d %H:%M} UTC)"
            )
        assert self.pattern is not None
        hours = f", hours {self.pattern.hours.text}" if self.pattern.hours else ""
        return (
            f"{self.person.name} is on call in the {where} "
            f"(their turn of a {self.pattern.length_text} rotation, {self.pattern.zone}{hours})"
        )


@dataclass(frozen=True)
class Shift:
    """A stretch of time one person is on call in one layer: [start, end) in UTC."""

    rotation: str
    layer: str
    tier: int
    person: Member
    start: datetime
    end: datetime
    covers: str = ""  # whom an override replaces ("nobody": a gap); "" for a turn


def _first_shift_from(pattern: Pattern, moment: datetime) -> int:
    number = shift_number(pattern.start, pattern.length, pattern.zone, moment)
    at = handoff(pattern.start, pattern.length, pattern.zone, number)
    return number if at >= moment else number + 1


def _turn(active: list[int], first: int | None, segment_start: int, number: int) -> int | None:
    if not active or first is None:
        return None
    return active[(active.index(first) + number - segment_start) % len(active)]


def member_at(pattern: Pattern, number: int) -> Member | None:
    """Return whose turn shift `number` of a pattern is (None: before the start, or nobody)."""
    if number < 0 or not pattern.people:
        return None
    people = pattern.people

    def active(shift: int) -> list[int]:
        at = handoff(pattern.start, pattern.length, pattern.zone, shift)
        return [i for i, m in enumerate(people) if m.active_at(at)]

    changes = sorted(
        {
            _first_shift_from(pattern, moment)
            for m in people
            for moment in (m.since, m.until)
            if moment is not None
        }
    )
    now_active = active(0)
    first = now_active[0] if now_active else None
    segment_start = 0
    for change in changes:
        if change <= 0:
            continue
        if change > number:
            break
        before = _turn(now_active, first, segment_start, change - 1)
        now_active = active(change)
        if not now_active:
            first = None
        elif before is None:
            first = now_active[0]
        else:
            first = next((i for i in now_active if i > before), now_active[0])
        segment_start = change
    index = _turn(now_active, first, segment_start, number)
    return people[index] if index is not None else None


def _covers(pattern: Pattern, moment: datetime) -> bool:
    return pattern.hours is None or pattern.hours.covers(wall_of(moment, pattern.zone).time())


def scheduled(layer: Layer, moment: datetime) -> tuple[Member, Pattern] | None:
    """Return whose turn it is in a layer at an instant, by its patterns (no overrides)."""
    for pattern in layer.patterns:
        if _covers(pattern, moment):
            number = shift_number(pattern.start, pattern.length, pattern.zone, moment)
            member = member_at(pattern, number)
            if member is not None:
                return member, pattern
    return None


def _override(
    rotation: Rotation, layer: Layer, moment: datetime, due: Member | None
) -> Override | None:
    for item in reversed(rotation.overrides):
        if key(item.layer) != key(layer.name) or not item.start <= moment < item.end:
            continue
        if item.covers and (due is None or key(item.covers) != key(due.name)):
            continue
        return item
    return None


def layer_on_call(rotation: Rotation, tier: int, moment: datetime) -> OnCall | None:
    """Return who is on call in the rotation's layer `tier` (0: primary) at an instant."""
    layer = rotation.layers[tier]
    turn = scheduled(layer, moment)
    due, pattern = turn if turn else (None, None)
    override = _override(rotation, layer, moment, due)
    if override is not None:
        return OnCall(rotation.name, layer.name, tier, override.who, due, override, pattern)
    if due is None:
        return None
    return OnCall(rotation.name, layer.name, tier, due, due, None, pattern)


def on_call(rotation: Rotation, moment: datetime) -> tuple[OnCall, ...]:
    """Return who is on call at an instant in each layer that has someone, primary first."""
    found = (layer_on_call(rotation, tier, moment) for tier in range(len(rotation.layers)))
    return tuple(item for item in found if item is not None)


def _boundaries(rotation: Rotation, start: datetime, end: datetime) -> list[datetime]:
    """Return every instant in (start, end) at which someone's shift may begin or end."""
    points: set[datetime] = set()
    for layer in rotation.layers:
        for pattern in layer.patterns:
            first = shift_number(pattern.start, pattern.length, pattern.zone, start)
            last = shift_number(pattern.start, pattern.length, pattern.zone, end)
            for number in range(max(first, 0), last + 2):
                points.add(handoff(pattern.start, pattern.length, pattern.zone, number))
            if pattern.hours is not None:
                for day in days_between(start - timedelta(days=1), end, pattern.zone):
                    for at in (pattern.hours.start, pattern.hours.end):
                        points.add(place(day.replace(hour=at.hour, minute=at.minute), pattern.zone))
    for item in rotation.overrides:
        points.update((item.start, item.end))
    return sorted(p for p in points if start < p < end)


def schedule(rotation: Rotation, start: datetime, end: datetime) -> list[Shift]:
    """Return the shifts of every layer overlapping [start, end), clipped to it, in time order."""
    points = [start, *_boundaries(rotation, start, end), end]
    open_shifts: dict[int, Shift] = {}
    done: list[Shift] = []
    for begin, finish in itertools.pairwise(points):
        for tier in range(len(rotation.layers)):
            now = layer_on_call(rotation, tier, begin)
            current = open_shifts.get(tier)
            same = (
                now is not None
                and current is not None
                and current.person == now.person
                and current.covers == _covered(now)
                and current.end == begin
            )
            if same and current is not None:
                open_shifts[tier] = _extend(current, finish)
                continue
            if current is not None:
                done.append(current)
                del open_shifts[tier]
            if now is not None:
                open_shifts[tier] = Shift(
                    rotation.name,
                    now.layer,
                    tier,
                    now.person,
                    begin,
                    finish,
                    _covered(now),
                )
    done.extend(open_shifts.values())
    return sorted(done, key=lambda s: (s.start, s.tier))


def _covered(item: OnCall) -> str:
    if item.override is None:
        return ""
    return item.scheduled.name if item.scheduled else "nobody"


def _extend(shift: Shift, end: datetime) -> Shift:
    return Shift(
        shift.rotation,
        shift.layer,
        shift.tier,
        shift.person,
        shift.start,
        end,
        shift.covers,
    )
