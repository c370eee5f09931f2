"""The states of a maintenance run and the moves between them. Pure.

A run is queued (the scheduler or a person asked for it), running, then succeeded or
failed. A due time that passed while no opsbook was running is recorded as missed, and
stays so: it is reported, never run late a second time. A run a stopped server left
running is interrupted, never started again by itself.
"""

from __future__ import annotations

from enum import StrEnum

from opsbook.transitions import TransitionTable


class RunState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    MISSED = "missed"
    INTERRUPTED = "interrupted"


class RunEvent(StrEnum):
    START = "start"
    SUCCEED = "succeed"
    FAIL = "fail"
    INTERRUPT = "interrupt"


RUNS: TransitionTable[RunState, RunEvent] = TransitionTable(
    "maintenance run",
    {
        RunState.QUEUED: {
            RunEvent.START: RunState.RUNNING,
            RunEvent.SUCCEED: RunState.SUCCEEDED,
            RunEvent.FAIL: RunState.FAILED,
            RunEvent.INTERRUPT: RunState.INTERRUPTED,
        },
        RunState.RUNNING: {
            RunEvent.SUCCEED: RunState.SUCCEEDED,
            RunEvent.FAIL: RunState.FAILED,
            RunEvent.INTERRUPT: RunState.INTERRUPTED,
        },
    },
)
FINISHED = frozenset({RunState.SUCCEEDED, RunState.FAILED, RunState.MISSED, RunState.INTERRUPTED})
