"""The incident lifecycle as an explicit state machine: pure rules, no I/O, no clock.

detected -> acknowledged -> mitigated -> resolved -> closed. Resolving is allowed from any
open state (an incident can go away before anyone acknowledges it). Nothing leads back
from resolved or closed: an acknowledgement that arrives after (or at the same moment as)
a resolution is refused and changes nothing, so it can never reopen the incident (the
ack/resolve race other tools lose). A recurrence opens a new incident.
"""

from __future__ import annotations

from enum import StrEnum

from opsbook import transitions
from opsbook.transitions import TransitionRefused as TransitionRefused
from opsbook.transitions import TransitionTable


class Status(StrEnum):
    DETECTED = "detected"
    ACKNOWLEDGED = "acknowledged"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Event(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    MITIGATE = "mitigate"
    RESOLVE = "resolve"
    CLOSE = "close"


TRANSITIONS: dict[Status, dict[Event, Status]] = {
    Status.DETECTED: {
        Event.ACKNOWLEDGE: Status.ACKNOWLEDGED,
        Event.MITIGATE: Status.MITIGATED,
        Event.RESOLVE: Status.RESOLVED,
    },
    Status.ACKNOWLEDGED: {Event.MITIGATE: Status.MITIGATED, Event.RESOLVE: Status.RESOLVED},
    Status.MITIGATED: {Event.RESOLVE: Status.RESOLVED},
    Status.RESOLVED: {Event.CLOSE: Status.CLOSED},
    Status.CLOSED: {},
}
OPEN = frozenset({Status.DETECTED, Status.ACKNOWLEDGED, Status.MITIGATED})
# Statuses in which somebody has taken the incident: escalation stops.
TAKEN = frozenset({Status.ACKNOWLEDGED, Status.MITIGATED, Status.RESOLVED, Status.CLOSED})


def apply(status: Status, event: Event) -> Status:
    """Return the status after the event, or raise TransitionRefused saying why not."""
    return transitions.apply(INCIDENTS, status, event)


def _why(status: Status, event: Event) -> str | None:
    if status is Status.CLOSED:
        return "the incident is closed; open a new incident if the problem is back"
    if status is Status.RESOLVED and event in (Event.ACKNOWLEDGE, Event.MITIGATE):
        return (
            f"the incident is already resolved; to {event} does not reopen it "
            "(open a new incident if the problem is back)"
        )
    if event is Event.CLOSE:
        return f"only a resolved incident can be closed; this one is {status}"
    if status is Status.ACKNOWLEDGED and event is Event.ACKNOWLEDGE:
        return "the incident is already acknowledged"
    if status is Status.MITIGATED and event is Event.ACKNOWLEDGE:
        return "the incident is already mitigated (and so acknowledged)"
    if status is Status.MITIGATED and event is Event.MITIGATE:
        return "the incident is already mitigated"
    return None


INCIDENTS = TransitionTable("incident", TRANSITIONS, _why)


def is_open(status: Status) -> bool:
    """Say whether the incident still needs work (not resolved or closed)."""
    return status in OPEN
