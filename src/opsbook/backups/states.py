"""The life of a backup and of a restore drill: states, events and their moves. Pure.

A backup is `running` from before its first byte is written until its archive is complete
and on disk (fsynced); only then `ok`. A process killed on the way leaves it `running`, and
the next backup of the same name finds its process gone and marks it `interrupted`: nothing
killed half-way is ever taken for a good backup.
"""

from __future__ import annotations

from enum import StrEnum

from opsbook.transitions import TransitionTable


class BackupState(StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    PRUNED = "pruned"  # retention removed its data; its record and manifest stay


class BackupEvent(StrEnum):
    FINISH = "finish"
    FAIL = "fail"
    FIND_ABANDONED = "find abandoned"
    PRUNE = "prune"


BACKUPS: TransitionTable[BackupState, BackupEvent] = TransitionTable(
    noun="backup",
    moves={
        BackupState.RUNNING: {
            BackupEvent.FINISH: BackupState.OK,
            BackupEvent.FAIL: BackupState.FAILED,
            BackupEvent.FIND_ABANDONED: BackupState.INTERRUPTED,
        },
        BackupState.OK: {BackupEvent.PRUNE: BackupState.PRUNED},
        BackupState.FAILED: {BackupEvent.PRUNE: BackupState.PRUNED},
        BackupState.INTERRUPTED: {BackupEvent.PRUNE: BackupState.PRUNED},
    },
)


class DrillState(StrEnum):
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"  # a file differed, was missing, or the restore itself failed
    INTERRUPTED = "interrupted"


class DrillEvent(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    FIND_ABANDONED = "find abandoned"


DRILLS: TransitionTable[DrillState, DrillEvent] = TransitionTable(
    noun="drill",
    moves={
        DrillState.RUNNING: {
            DrillEvent.PASS: DrillState.PASSED,
            DrillEvent.FAIL: DrillState.FAILED,
            DrillEvent.FIND_ABANDONED: DrillState.INTERRUPTED,
        },
    },
)
