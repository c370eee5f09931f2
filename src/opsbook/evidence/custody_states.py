"""Where a piece of evidence stands in its custody: held, released or disposed. Pure.

The state is not stored: it follows from the evidence's records, oldest first. Released
evidence has left our hands (a copy may still be examined, exported or disposed of);
disposed evidence has no bytes left, only its records, until the same bytes are collected
again.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from opsbook.evidence.records import Action
from opsbook.transitions import TransitionTable


class Custody(StrEnum):
    HELD = "held"
    RELEASED = "released"
    DISPOSED = "disposed"


def _explain(state: Custody, action: Action) -> str | None:
    if state is Custody.DISPOSED:
        return f"the evidence was disposed of: its records stay, its bytes are gone ({action})"
    if state is Custody.RELEASED and action in (Action.TRANSFERRED, Action.RELEASED):
        return f"the evidence was released; it cannot be {action} again"
    return None


A = Action
MOVES: TransitionTable[Custody, Action] = TransitionTable(
    noun="evidence",
    moves={
        Custody.HELD: {
            A.COLLECTED: Custody.HELD,
            A.TRANSFERRED: Custody.HELD,
            A.EXAMINED: Custody.HELD,
            A.EXPORTED: Custody.HELD,
            A.RELEASED: Custody.RELEASED,
            A.DISPOSED: Custody.DISPOSED,
        },
        Custody.RELEASED: {
            A.COLLECTED: Custody.HELD,
            A.EXAMINED: Custody.RELEASED,
            A.EXPORTED: Custody.RELEASED,
            A.DISPOSED: Custody.DISPOSED,
        },
        Custody.DISPOSED: {A.COLLECTED: Custody.HELD},
    },
    explain=_explain,
)

# The moves by the action's text, as records hold it: verify looks one up per record.
_BY_TEXT = {
    state: {str(action): target for action, target in moves.items()}
    for state, moves in MOVES.moves.items()
}


def after(state: Custody, action: str) -> Custody:
    """Return the state after a recorded action; a move the table lacks leaves it as it was."""
    # Lenient on purpose: this reads history (already written), verify judges the records.
    return _BY_TEXT[state].get(action, state)


def state_of(actions: Iterable[str]) -> Custody:
    """Return where evidence stands after its recorded actions, oldest first."""
    state = Custody.HELD
    for action in actions:
        state = after(state, action)
    return state
