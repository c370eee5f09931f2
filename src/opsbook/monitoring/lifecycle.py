"""The alert lifecycle as a state machine: pure, no I/O, no clock.

pending -> firing -> acknowledged -> resolved, with silenced beside firing. A silenced alert
is still recorded and still resolves; it only stops notifying until the silence ends.
"""

from __future__ import annotations

from enum import StrEnum

from opsbook import transitions
from opsbook.transitions import TransitionRefused as TransitionRefused
from opsbook.transitions import TransitionTable


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


def _explain(state: AlertState, event: AlertEvent) -> str | None:
    if state is AlertState.RESOLVED:
        return "the alert is already resolved; a new firing opens a new alert"
    if state is AlertState.PENDING and event is AlertEvent.ACKNOWLEDGE:
        return "the alert is still pending (not firing yet); there is nothing to acknowledge"
    if state is ALERTS.target(event):
        return f"the alert is already {state}"
    return None


ALERTS = TransitionTable("alert", TRANSITIONS, _explain)


def apply(state: AlertState, event: AlertEvent) -> AlertState:
    """Return the state after the event, or raise TransitionRefused saying why not."""
    return transitions.apply(ALERTS, state, event)
