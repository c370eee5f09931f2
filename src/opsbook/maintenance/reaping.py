"""Runs a stopped process left running are recorded as interrupted, never started again.

Each run records the process doing it (`machine:pid:start time`). A run whose process on
this machine no longer exists (kill -9, power loss) is interrupted: its task is late, so
it shows as due or overdue and its alert is raised, and nobody runs it twice by itself.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from opsbook.maintenance.rows import naive
from opsbook.maintenance.run_states import RUNS, RunEvent, RunState
from opsbook.maintenance.tables import TaskRunRow, TaskStateRow
from opsbook.transitions import apply

if TYPE_CHECKING:
    from opsbook.store.database import Database


def this_worker() -> str:
    """Name this process as the doer of a run: machine, pid and when it started."""
    import psutil  # lazy: only where runs are performed

    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{psutil.Process(pid).create_time():.0f}"


def worker_alive(worker: str, machine: str) -> bool:
    """Say whether a run's process may still exist (one on another machine: assume so)."""
    import psutil

    parts = worker.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != machine or not parts[1].isdigit():
        return True
    try:
        started = psutil.Process(int(parts[1])).create_time()
    except psutil.Error:
        return False
    return f"{started:.0f}" == parts[2]


def reap_interrupted(*, db: Database, machine: str, now: datetime) -> list[int]:
    """Mark running runs whose process died as interrupted; return their ids."""
    reaped: list[int] = []
    with db.transaction() as session:
        rows = session.scalars(
            select(TaskRunRow).where(
                TaskRunRow.state == RunState.RUNNING.value, TaskRunRow.worker.is_not(None)
            )
        )
        for row in rows:
            if row.worker is None or worker_alive(row.worker, machine):
                continue
            row.state = apply(RUNS, RunState.RUNNING, RunEvent.INTERRUPT).value
            row.finished_at = naive(now)
            row.detail = "; ".join(p for p in (row.detail, "interrupted: its process died") if p)
            task = session.get(TaskStateRow, row.task_key)
            if task is not None:
                task.started_at = None
                task.last_outcome = row.state
            reaped.append(row.id)
    return reaped
