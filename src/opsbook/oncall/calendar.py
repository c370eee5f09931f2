"""An iCalendar (RFC 5545) feed of a rotation's shifts, or of one person's: written by hand.

Times are UTC (`...Z`), so a calendar program needs no time-zone definitions; each shift
is one event whose UID stays the same while the shift does, so a subscribed calendar
updates an event rather than adding a copy. Lines end CRLF and fold at 75 octets.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from opsbook.oncall.service import chosen, shifts_between
from opsbook.oncall.views import ShiftView
from opsbook.runbook.model import Runbook

BEHIND, AHEAD = timedelta(days=14), timedelta(days=120)


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> list[str]:
    """Split a content line into pieces of at most 75 octets, never inside a character."""
    pieces, current, size, limit = [], "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    pieces.append(current)
    return pieces


def uid(shift: ShiftView) -> str:
    """Return the event's UID: the same for the same person, layer and start."""
    name = f"{shift.rotation}|{shift.layer}|{shift.person}|{shift.start.isoformat()}"
    return hashlib.sha256(name.encode()).hexdigest()[:32] + "@opsbook"


def calendar_text(name: str, shifts: list[ShiftView], now: datetime) -> str:
    """Return a VCALENDAR holding one VEVENT per shift."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//opsbook//on-call rotations//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for shift in shifts:
        who = f"{shift.person} <{shift.address}>" if shift.address else shift.person
        why = f"override, covering {shift.covers}" if shift.covers else "the rotation's turn"
        about = f"{who} is on call in the {shift.layer} layer of {shift.rotation}: {why}."
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid(shift)}",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART:{_stamp(shift.start)}",
            f"DTEND:{_stamp(shift.end)}",
            f"SUMMARY:{_escape(f'On call: {shift.person} ({shift.rotation} {shift.layer})')}",
            f"DESCRIPTION:{_escape(about)}",
            f"CATEGORIES:{_escape(shift.rotation)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(piece + "\r\n" for line in lines for piece in _fold(line))


def feed_text(
    *,
    runbook: Runbook,
    rotation: str,
    now: datetime,
    person: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> str:
    """Return the feed of a rotation (or of one person in it) from two weeks ago to months on."""
    found = chosen(runbook, rotation)[0]
    begin = start or (now - BEHIND).replace(second=0, microsecond=0)
    finish = end or begin + BEHIND + AHEAD
    shifts = shifts_between(
        runbook=runbook, start=begin, end=finish, rotation=found.name, person=person
    )
    title = f"On call: {found.name}" + (f" ({person})" if person else "")
    return calendar_text(title, shifts, now)
