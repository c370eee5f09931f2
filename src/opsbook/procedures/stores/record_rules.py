"""The rules every store of runs records by, written once for the light store and SQLAlchemy's.

Both stores keep the `RunStore` contract (drive.py); what they decide the same way, from
the rows they read, is decided here, so the two can only differ in how they read and write.
"""

from __future__ import annotations

from enum import StrEnum

from opsbook.procedures.confirm import Confirmation, Decision
from opsbook.procedures.engine import Phase

# The way a decision given in the dashboard is recorded (`via`).
WEB = "web"


def interrupted_message(why: str, at: tuple[str, int, str] | None) -> str:
    """Say why a run stopped and where: its first running attempt (phase, number, text)."""
    where = f' at {Phase(at[0]).singular} {at[1]} "{at[2]}"' if at else ""
    return f"interrupted{where}: {why}"


def web_decision(latest: tuple[str, str | None, str | None] | None) -> Confirmation | None:
    """Return the dashboard's answer in a step's latest confirmation (decision, by, via)."""
    if latest is None:
        return None
    decision, by, via = latest
    if decision == Decision.WAITING or via != WEB:
        return None
    return Confirmation(Decision(decision), by or "", via)


class Write(StrEnum):
    """How to record an answer to a manual step."""

    NOTHING = "nothing"  # the step already waits, or the dashboard's decision is recorded
    ASK = "ask"  # a new confirmation that waits for a person
    ANSWER = "answer"  # fill in the confirmation that waits
    ADD = "add"  # a new, answered confirmation


def write_for(answer: Confirmation, latest: tuple[str, str | None] | None) -> Write:
    """Say how to record an answer, given the step's latest confirmation (decision, via)."""
    waiting = latest is not None and latest[0] == Decision.WAITING
    if answer.decision is Decision.WAITING:
        return Write.NOTHING if waiting else Write.ASK
    if waiting:
        return Write.ANSWER
    return Write.ADD if latest is None or latest[1] != WEB else Write.NOTHING
