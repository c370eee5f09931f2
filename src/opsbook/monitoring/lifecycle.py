"""The alert lifecycle as a state machine: pure, no I/O, no clock.

pending -> firing -> acknowledged -> resolved, with silenced beside firing. A silenced alert
is still recorded and still resolves; it only stops notifying until the silence ends.
"""

from __future__ import annotations

from enum import StrEnum


class AlertState(StrEnum):
    PENDING = "pending"
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    SILENCED = "silenced"
    RESOLVED = "resolved"


class AlertEvent(StrEnum):
    FIRE = "fire"
    ACKNOWLEDGE = "acknowledge"
    SILENCE = "silence"
    UNSILENCE = "unsilence"
    RESOLVE = "resolve"


TRANSITIONS: dict[AlertState, dict[AlertEvent, AlertState]] = {
    AlertState.PENDING: {
        AlertEvent.FIRE: AlertState.FIRING,
        AlertEvent.SILENCE: AlertState.SILENCED,
        AlertEvent.RESOLVE: AlertState.RESOLVED,
    },
    AlertState.FIRING: {
        AlertEvent.ACKNOWLEDGE: AlertState.ACKNOWLEDGED,
        AlertEvent.SILENCE: AlertState.SILENCED,
        AlertEvent.RESOLVE: AlertState.RESOLVED,
    },
    AlertState.ACKNOWLEDGED: {
        AlertEvent.SILENCE: AlertState.SILENCED,
        AlertEvent.RESOLVE: AlertState.RESOLVED,
    },
    AlertState.SILENCED: {
        AlertEvent.UNSILENCE: AlertState.FIRING,
        AlertEvent.ACKNOWLEDGE: AlertState.ACKNOWLEDGED,
        AlertEvent.RESOLVE: AlertState.RESOLVED,
    },
    AlertState.RESOLVED: {},
}
OPEN = frozenset(
    {AlertState.PENDING, AlertState.FIRING, AlertState.ACKNOWLEDGED, AlertState.SILENCED}
)


class TransitionRefused(ValueError):
    """A lifecycle transition the table does not allow; the message says why."""


def apply(state: AlertState, event: AlertEvent) -> AlertState:
    """Return the state after the event, or raise TransitionRefused saying why not."""
    allowed = TRANSITIONS[state]
    if event in allowed:
        return allowed[event]
    if state is AlertState.RESOLVED:
        reason = "the alert is already resolved; a new firing opens a new alert"
    elif state is AlertState.PENDING and event is AlertEvent.ACKNOWLEDGE:
        reason = "the alert is still pending (not firing yet); there is nothing to acknowledge"
    elif state is event_target(event):
        reason = f"the alert is already {state}"
    else:
        can = ", ".join(str(e) for e in allowed) or "nothing"
        reason = f"a {state} alert cannot {event} (it can: {can})"
    raise TransitionRefused(reason)


def event_target(event: AlertEvent) -> AlertState | None:
    """Return the state an event leads to wherever it is allowed (None if it varies)."""
    targets = {t[event] for t in TRANSITIONS.values() if event in t}
    return targets.pop() if len(targets) == 1 else None
