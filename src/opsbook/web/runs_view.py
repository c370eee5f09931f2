"""Read-only views of procedure runs for the pages: last run per procedure, recent runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from opsbook.web.state import AppState


@dataclass(frozen=True)
class RunLine:
    id: int
    procedure: str
    title: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    started_by: str
    message: str


def last_runs(state: AppState) -> dict[str, RunLine]:
    """Return the most recent run of each procedure, by procedure id."""
    return {}


def recent_runs_of(state: AppState, procedure: str, limit: int) -> list[RunLine]:
    """Return a procedure's most recent runs, newest first."""
    return []
