"""One run's record read straight from the local SQLite file, for `opsbook run --json`.

The same dictionary as `service.show_run` (the `runs show --json` contract), without
importing SQLAlchemy: at the end of a run recorded through the light store (`light.py`),
that import alone took longer than a 20-host SSH step.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

RUN_COLUMNS = (
    "id, procedure, title, kind, runbook_path, status, message, started_at, finished_at, "
    "started_by, params, host_filter, waiting_step"
)
ATTEMPT_COLUMNS = (
    "step_key, phase, number, text, command, host, attempt, status, exit_code, started_at, "
    "finished_at, duration, stdout, stderr, error"
)
ATTEMPT_KEYS = ["step", *(name.strip() for name in ATTEMPT_COLUMNS.split(",")[1:])]


def iso_text(stored: str | None) -> str | None:
    """Turn a stored UTC moment (`2026-11-27 06:00:00.000001`) into ISO 8601 with its zone."""
    if stored is None:
        return None
    return datetime.fromisoformat(stored).replace(tzinfo=UTC).isoformat()


def show_recorded_run(connection: sqlite3.Connection, run_id: int) -> dict[str, Any] | None:
    """Return the run with its step outcomes, attempts and confirmations; None if unknown."""
    row = connection.execute(f"SELECT {RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
    if row is None:
        return None
    (
        ident,
        procedure,
        title,
        kind,
        path,
        status,
        message,
        started,
        finished,
        by,
        params,
        host,
        waiting,
    ) = row
    data: dict[str, Any] = {
        "id": ident,
        "procedure": procedure,
        "title": title,
        "kind": kind,
        "runbook": path,
        "status": status,
        "message": message,
        "started_at": iso_text(started),
        "finished_at": iso_text(finished),
        "started_by": by,
        "params": json.loads(params) if params is not None else None,
        "host": host,
        "waiting_step": waiting,
    }
    outcomes = connection.execute(
        "SELECT step_key, outcome FROM run_steps WHERE run_id = ? ORDER BY id", (run_id,)
    )
    data["steps"] = dict(outcomes.fetchall())
    attempts = connection.execute(
        f"SELECT {ATTEMPT_COLUMNS} FROM step_attempts WHERE run_id = ? ORDER BY id", (run_id,)
    )
    data["attempts"] = [_attempt(a) for a in attempts.fetchall()]
    confirmations = connection.execute(
        "SELECT step_key, decision, decided_by, via, requested_at, decided_at "
        "FROM run_confirmations WHERE run_id = ? ORDER BY id",
        (run_id,),
    )
    data["confirmations"] = [
        {
            "step": step,
            "decision": decision,
            "by": by,
            "via": via,
            "requested_at": iso_text(requested),
            "decided_at": iso_text(decided),
        }
        for step, decision, by, via, requested, decided in confirmations.fetchall()
    ]
    return data


def _attempt(row: tuple[Any, ...]) -> dict[str, Any]:
    data = dict(zip(ATTEMPT_KEYS, row, strict=True))
    data["started_at"] = iso_text(data["started_at"])
    data["finished_at"] = iso_text(data["finished_at"])
    return data
