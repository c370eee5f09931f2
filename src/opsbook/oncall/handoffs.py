"""Handoffs: the instants a layer's person changes, and the note both people get. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from opsbook.oncall.model import Member, Rotation
from opsbook.oncall.schedule import schedule


@dataclass(frozen=True)
class Handoff:
    """At `at`, `incoming` takes the layer over from `outgoing` (None: nobody was on call)."""

    rotation: str
    layer: str
    at: datetime
    outgoing: Member | None
    incoming: Member


def handoffs_between(rotation: Rotation, start: datetime, end: datetime) -> list[Handoff]:
    """Return the handoffs with start < at <= end, in time order."""
    longest = max(p.length for lyr in rotation.layers for p in lyr.patterns)
    shifts = schedule(rotation, start - longest - timedelta(days=1), end + timedelta(seconds=1))
    found = []
    for tier in range(len(rotation.layers)):
        mine = [s for s in shifts if s.tier == tier]
        for before, after in zip([None, *mine], mine, strict=False):
            if not start < after.start <= end:
                continue
            outgoing = before.person if before and before.end == after.start else None
            if outgoing is not None and outgoing == after.person:
                continue
            found.append(Handoff(rotation.name, after.layer, after.start, outgoing, after.person))
    return sorted(found, key=lambda h: (h.at, h.layer))


def handoff_note(handoff: Handoff, open_work: Sequence[str]) -> tuple[str, str]:
    """Return the subject and text both people of a handoff get."""
    where = f"{handoff.layer} layer of {handoff.rotation}"
    subject = f"On-call handoff ({where}): {handoff.incoming.name} takes over"
    lines = [
        f"At {handoff.at:%Y-%m-%d %H:%M} UTC {handoff.incoming.name} takes over the {where}"
        + (f" from {handoff.outgoing.name}." if handoff.outgoing else "."),
        "",
        "Open now:"
        if open_work
        else "Nothing is open: no alerts, incidents, running procedures or overdue maintenance.",
        *(f"- {line}" for line in open_work),
        "",
        "Who is on call: opsbook oncall now",
    ]
    return subject, "\n".join(lines) + "\n"
