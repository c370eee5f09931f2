"""What the run pages and the API show about one run: its record and what it waits for."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from opsbook.procedures.service import show_run
from opsbook.procedures.stores import queries
from opsbook.procedures.views import RunPage, RunView, WaitingView, WatchedRunView
from opsbook.web.panels import Panel, panels
from opsbook.web.runs.control import approvals_of, count_runs, last_runs, runs_page, waiting_step

if TYPE_CHECKING:
    from opsbook.web.state import AppState


def run_detail(state: AppState, run_id: int) -> WatchedRunView | None:
    """Return a run with its attempts, confirmations and the step it waits at."""
    run = show_run(db=state.db, run_id=run_id, machine=socket.gethostname(), now=state.clock)
    if run is None:
        return None
    waiting = None
    with state.db.transaction() as session:
        row = queries.get_run(session, run_id)
        if row is not None and row.waiting_step:
            done = approvals_of(session, run_id, row.waiting_step)
            step = waiting_step(state.source.runbook, row, done, state.environ)
            if step is not None:
                waiting = WaitingView(
                    step.key, step.label, step.text, step.command, step.approvals, step.approved_by
                )
    return WatchedRunView.of_detail(run, waiting)


def runs_listing(
    state: AppState,
    *,
    limit: int,
    before: int | None = None,
    procedure: str | None = None,
    status: str | None = None,
) -> RunPage:
    """Return a page of runs and how many match, at most a second old.

    Both are dropped at once when this process starts, answers or finishes a run; a run
    changed by another process (the CLI, a second server) shows within a second.
    """
    rows: list[RunView] = state.cache.get(
        ("runs", limit, before, procedure, status),
        lambda: runs_page(state.db, limit=limit, before=before, procedure=procedure, status=status),
    )
    total = state.cache.get(
        ("count", procedure, status),
        lambda: count_runs(state.db, procedure=procedure, status=status),
    )
    return RunPage(tuple(rows), int(total), rows[-1].id if len(rows) == limit else None)


def latest_runs(state: AppState) -> dict[str, RunView]:
    """Return the latest run of each procedure (at most a second old)."""
    ids = tuple(p.id for p in state.source.runbook.procedures)
    found: dict[str, RunView] = state.cache.get(
        ("latest", ids), lambda: last_runs(state.db, list(ids))
    )
    return found


def overview_panels(state: AppState) -> list[Panel]:
    """Return the overview panels (at most a second old)."""
    found: list[Panel] = state.cache.get(
        ("panels", id(state.source.runbook)), lambda: panels(state)
    )
    return found
