"""What the run pages and the API show of runs, through the server's one-second cache."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from opsbook.procedures.service import count_runs, last_runs, runs_page
from opsbook.procedures.views import RunPage, RunView, WatchedRunView
from opsbook.procedures.waiting import watch_run
from opsbook.web.panels import Panel, panels

if TYPE_CHECKING:
    from opsbook.web.state import AppState


def run_detail(state: AppState, run_id: int) -> WatchedRunView | None:
    """Return a run with its attempts, confirmations and the step it waits at."""
    return watch_run(
        db=state.db,
        runbook=state.source.runbook,
        run_id=run_id,
        machine=socket.gethostname(),
        environ=state.environ,
        now=state.clock,
    )


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
        lambda: runs_page(
            db=state.db, limit=limit, before=before, procedure=procedure, status=status
        ),
    )
    total = state.cache.get(
        ("count", procedure, status),
        lambda: count_runs(db=state.db, procedure=procedure, status=status),
    )
    return RunPage(tuple(rows), int(total), rows[-1].id if len(rows) == limit else None)


def latest_runs(state: AppState) -> dict[str, RunView]:
    """Return the latest run of each procedure (at most a second old)."""
    ids = tuple(p.id for p in state.source.runbook.procedures)
    found: dict[str, RunView] = state.cache.get(
        ("latest", ids), lambda: last_runs(db=state.db, procedures=list(ids))
    )
    return found


def overview_panels(state: AppState) -> list[Panel]:
    """Return the overview panels (at most a second old)."""
    found: list[Panel] = state.cache.get(
        ("panels", id(state.source.runbook)), lambda: panels(state)
    )
    return found
