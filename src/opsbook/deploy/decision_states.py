"""The states of a person's decision on an inconclusive gate, and the moves. Pure.

An inconclusive gate asks (open); a person lets it pass or stops it; nobody answering
within the gate's time lets it expire, which stops it too. Never a pass without a person.
"""

from __future__ import annotations

from enum import StrEnum

from opsbook.transitions import TransitionTable


class DecisionState(StrEnum):
    OPEN = "open"
    PASSED = "passed"
    STOPPED = "stopped"
    EXPIRED = "expired"


class DecisionEvent(StrEnum):
    LET_PASS = "let pass"
    STOP = "stop"
    EXPIRE = "expire"


DECISIONS: TransitionTable[DecisionState, DecisionEvent] = TransitionTable(
    "gate decision",
    {
        DecisionState.OPEN: {
            DecisionEvent.LET_PASS: DecisionState.PASSED,
            DecisionEvent.STOP: DecisionState.STOPPED,
            DecisionEvent.EXPIRE: DecisionState.EXPIRED,
        },
    },
)
