"""Use cases of on-call: the rotations of a runbook, who is on call now and next, the
schedule over a window. The runbook is the source of truth: nothing here is stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from opsbook.errors import BadInput, NotFound
from opsbook.oncall.model import Rotation
from opsbook.oncall.people import key, split_person
from opsbook.oncall.schedule import Shift, on_call, schedule
from opsbook.oncall.settings import FieldProblem, field_line, read_rotations
from opsbook.oncall.views import OnCallView, RotationView, ShiftView
from opsbook.runbook.model import Runbook

MAX_WINDOW = timedelta(days=400)


def rotations_of(runbook: Runbook) -> dict[str, Rotation]:
    """Return the runbook's rotations; a wrong value is BadInput naming FILE:LINE and field."""
    directory: dict[str, str] = {}
    for contact in runbook.contacts:
        _name, address = split_person(contact.contact)
        if contact.name and address:
            directory.setdefault(key(contact.name), address)
        backup, address = split_person(contact.backup)
        if backup and address:
            directory.setdefault(key(backup), address)
    try:
        return read_rotations(runbook.settings.get("oncall"), directory)
    except FieldProblem as exc:
        raise BadInput(f"{_where(runbook, exc.field)}: {exc.message}", exc.hint) from None


def _where(runbook: Runbook, field: str) -> str:
    path = Path(runbook.path)
    try:
        line = field_line(path.read_text(encoding="utf-8"), field) if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        line = None
    return f"{runbook.path}:{line}" if line else runbook.path


def chosen(runbook: Runbook, name: str | None) -> list[Rotation]:
    """Return the rotation named (NotFound if none), or every rotation when none is named."""
    rotations = rotations_of(runbook)
    if name is None:
        return list(rotations.values())
    found = next((r for n, r in rotations.items() if n.lower() == name.lower()), None)
    if found is None:
        known = ", ".join(rotations) or "none: add an `oncall:` block to the front matter"
        raise NotFound(f'no rotation "{name}"', f"rotations: {known}")
    return [found]


def list_rotations(*, runbook: Runbook) -> list[RotationView]:
    """List the runbook's rotations with their layers and people."""
    views = []
    for rotation in rotations_of(runbook).values():
        people = dict.fromkeys(
            m.name for lyr in rotation.layers for p in lyr.patterns for m in p.people
        )
        views.append(
            RotationView(
                rotation.name,
                rotation.zone,
                tuple(lyr.name for lyr in rotation.layers),
                tuple(people),
                len(rotation.overrides),
            )
        )
    return views


def shift_view(shift: Shift) -> ShiftView:
    """Return a shift as the views show it."""
    return ShiftView(
        shift.rotation,
        shift.layer,
        shift.tier,
        shift.person.name,
        shift.person.address,
        shift.start,
        shift.end,
        shift.covers,
    )


def _horizon(rotation: Rotation) -> timedelta:
    longest = max(p.length for lyr in rotation.layers for p in lyr.patterns)
    return max(longest * 2 + timedelta(days=2), timedelta(days=3))


def who_is_on_call(
    *, runbook: Runbook, now: datetime, rotation: str | None = None
) -> list[OnCallView]:
    """Return who is on call now in each layer of each rotation, until when, and who is next."""
    check_moment(now)
    views = []
    for item in chosen(runbook, rotation):
        reach = _horizon(item)
        shifts = schedule(item, now - reach, now + reach)
        for current in on_call(item, now):
            mine = [s for s in shifts if s.tier == current.tier]
            here = next(s for s in mine if s.start <= now < s.end)
            later = next((s for s in mine if s.start >= here.end), None)
            views.append(
                OnCallView(
                    item.name,
                    current.layer,
                    current.tier,
                    current.person.name,
                    current.person.address,
                    here.start,
                    here.end,
                    current.why,
                    later.person.name if later else "",
                    later.person.address if later else "",
                )
            )
    return views


def next_handoffs(
    *, runbook: Runbook, now: datetime, rotation: str | None = None
) -> list[ShiftView]:
    """Return the next shift of each layer of each rotation: who takes over, and when."""
    check_moment(now)
    found = []
    for item in chosen(runbook, rotation):
        reach = _horizon(item)
        shifts = schedule(item, now, now + reach)
        for tier in range(len(item.layers)):
            upcoming = next((s for s in shifts if s.tier == tier and s.start > now), None)
            if upcoming is not None:
                found.append(shift_view(upcoming))
    return sorted(found, key=lambda s: (s.start, s.rotation, s.tier))


def check_moment(moment: datetime, what: str = "the time") -> datetime:
    """Return an aware moment between the years 2000 and 2200, or raise BadInput."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise BadInput(f"{what} needs its offset", "write 2026-03-01T09:00:00Z")
    if not 2000 <= moment.year <= 2200:
        raise BadInput(f"{what} is not between the years 2000 and 2200")
    return moment


def check_window(start: datetime, end: datetime) -> None:
    """Refuse a window that ends before it starts or is longer than MAX_WINDOW."""
    check_moment(start, "the window's start")
    check_moment(end, "the window's end")
    if end <= start:
        raise BadInput("the window ends before it starts", "give --to after --from")
    if end - start > MAX_WINDOW:
        raise BadInput(
            f"the window is {(end - start).days} days long; at most {MAX_WINDOW.days}",
            "ask for a shorter window with --from and --to",
        )


def shifts_between(
    *,
    runbook: Runbook,
    start: datetime,
    end: datetime,
    rotation: str | None = None,
    person: str | None = None,
) -> list[ShiftView]:
    """Return the shifts of [start, end) in time order, of one rotation or person if named."""
    check_window(start, end)
    found: list[Shift] = []
    for item in chosen(runbook, rotation):
        found += schedule(item, start, end)
    views = [shift_view(s) for s in found]
    if person is not None:
        views = [v for v in views if _is(v, person)]
    return sorted(views, key=lambda v: (v.start, v.rotation, v.tier))


def _is(view: ShiftView, person: str) -> bool:
    wanted = key(person)
    return wanted in (key(view.person), key(view.address))
