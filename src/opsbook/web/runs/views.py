"""What the run pages and the API show about one run: its record and what it waits for."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

from opsbook.procedures import records
from opsbook.procedures.service import show_run
from opsbook.web.runs.control import approvals_of, waiting_step

if TYPE_CHECKING:
    from opsbook.web.state import AppState


def run_detail(state: AppState, run_id: int) -> dict[str, Any] | None:
    """Return a run with its attempts, confirmations and the step it waits at."""
    data = show_run(db=state.db, run_id=run_id, machine=socket.gethostname(), now=state.clock)
    if data is None:
        return None
    data["waiting"] = None
    with state.db.transaction() as session:
        row = records.get_run(session, run_id)
        if row is not None and row.waiting_step:
            done = approvals_of(session, run_id, row.waiting_step)
            step = waiting_step(state.source.runbook, row, done, state.environ)
            if step is not None:
                data["waiting"] = {
                    "key": step.key,
                    "label": step.label,
                    "text": step.text,
                    "command": step.command,
                    "approvals_needed": step.approvals,
                    "approved_by": list(step.approved_by),
                }
    return data
