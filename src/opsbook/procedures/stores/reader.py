"""The one reader of run records: plain SQL that SQLite and PostgreSQL both run.

Every face reads runs through here, whichever store wrote them: the use cases and the
dashboard on a SQLAlchemy connection (`queries.rows_on`), `opsbook run --json` on the light
store's sqlite3 connection (`SqliteRunStore.rows`), without importing SQLAlchemy. It turns
what each driver hands back (SQLite: text for times and JSON; PostgreSQL: aware datetimes
and parsed JSON) into the same views.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from opsbook.inputs import text_problem
from opsbook.procedures.engine import Outcome
from opsbook.procedures.views import (
    AttemptView,
    ConfirmationView,
    JsonValue,
    RunDetailView,
    RunView,
)
from opsbook.runbook.record import Record

# Runs a statement with :named parameters; returns its rows as sequences of column values.
Rows = Callable[[str, Mapping[str, object]], Sequence[Sequence[Any]]]

RUN_COLUMNS = (
    "id, procedure, title, kind, runbook_path, status, message, started_at, finished_at, "
    "started_by, params, host_filter, waiting_step"
)
ATTEMPT_COLUMNS = (
    "step_key, phase, number, text, command, host, attempt, status, exit_code, started_at, "
    "finished_at, duration, stdout, stderr, error"
)
CONFIRMATION_COLUMNS = "step_key, decision, decided_by, via, requested_at, decided_at"
RUN = f"SELECT {RUN_COLUMNS} FROM runs WHERE id = :run_id"
OUTCOMES = "SELECT step_key, outcome FROM run_steps WHERE run_id = :run_id ORDER BY id"
ATTEMPTS = f"SELECT {ATTEMPT_COLUMNS} FROM step_attempts WHERE run_id = :run_id ORDER BY id"
CONFIRMATIONS = (
    f"SELECT {CONFIRMATION_COLUMNS} FROM run_confirmations WHERE run_id = :run_id ORDER BY id"
)
PROGRESS = (
    "SELECT step_key, host, attempt, status FROM step_attempts WHERE run_id = :run_id ORDER BY id"
)
LATEST = f"SELECT {RUN_COLUMNS} FROM runs WHERE procedure = :procedure ORDER BY id DESC LIMIT 1"
# Each filter of the runs list, with the parameter it binds.
FILTERS = {
    "procedure": "procedure = :procedure",
    "status": "status = :status",
    "before": "id < :before",
}


def moment(stored: datetime | str | None) -> datetime | None:
    """Return a stored moment as aware UTC (SQLite keeps `2026-11-27 06:00:00.000001`)."""
    if stored is None:
        return None
    value = datetime.fromisoformat(stored) if isinstance(stored, str) else stored
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def readable_params(stored: str | Mapping[str, JsonValue] | None) -> dict[str, JsonValue]:
    """Return stored parameters as text every face can send out.

    Values are checked before a run is stored (plan.py); a row written before that check
    may hold a lone surrogate, which would break every page and list that shows it: such
    text shows escaped (`\\ud800`) instead.
    """
    params = json.loads(stored) if isinstance(stored, str) else stored
    return {
        _escaped(k): _escaped(v) if isinstance(v, str) else v for k, v in (params or {}).items()
    }


def _escaped(text: str) -> str:
    if text_problem(text) is None:
        return text
    return text.encode("utf-8", "backslashreplace").decode().replace("\0", "\\x00")


def _run(row: Sequence[Any]) -> RunView:
    ident, procedure, title, kind, path, status, message, started, finished = row[:9]
    by, params, host, waiting = row[9:]
    started_at = moment(started)
    assert started_at is not None
    return RunView(
        ident,
        procedure,
        title,
        kind,
        path,
        status,
        message,
        started_at,
        moment(finished),
        by,
        readable_params(params),
        host,
        waiting,
    )


def _attempt(row: Sequence[Any]) -> AttemptView:
    step, phase, number, text, command, host, attempt, status, exit_code = row[:9]
    started, finished, duration, stdout, stderr, error = row[9:]
    started_at = moment(started)
    assert started_at is not None
    return AttemptView(
        step,
        phase,
        number,
        text,
        command,
        host,
        attempt,
        status,
        exit_code,
        started_at,
        moment(finished),
        duration,
        stdout,
        stderr,
        error,
    )


def _confirmation(row: Sequence[Any]) -> ConfirmationView:
    step, decision, by, via, requested, decided = row
    requested_at = moment(requested)
    assert requested_at is not None
    return ConfirmationView(step, decision, by, via, requested_at, moment(decided))


def read_run(rows: Rows, run_id: int) -> RunDetailView | None:
    """Return a run with its step outcomes, attempts and confirmations; None if unknown."""
    found = rows(RUN, {"run_id": run_id})
    if not found:
        return None
    by_run = {"run_id": run_id}
    return RunDetailView.of(
        _run(found[0]),
        {key: outcome for key, outcome in rows(OUTCOMES, by_run)},
        tuple(_attempt(a) for a in rows(ATTEMPTS, by_run)),
        tuple(_confirmation(c) for c in rows(CONFIRMATIONS, by_run)),
    )


def read_runs(
    rows: Rows,
    *,
    limit: int,
    before: int | None = None,
    procedure: str | None = None,
    status: str | None = None,
) -> list[RunView]:
    """Return runs newest first, at most `limit`, filtered by what is given."""
    given = {"procedure": procedure, "status": status, "before": before}
    params: dict[str, object] = {k: v for k, v in given.items() if v is not None and v != ""}
    where = " AND ".join(FILTERS[name] for name in params)
    query = f"SELECT {RUN_COLUMNS} FROM runs{' WHERE ' + where if where else ''}"
    return [
        _run(r) for r in rows(f"{query} ORDER BY id DESC LIMIT :limit", params | {"limit": limit})
    ]


def read_latest(rows: Rows, procedures: Sequence[str]) -> dict[str, RunView]:
    """Return the latest run of each named procedure that has one."""
    found: dict[str, RunView] = {}
    for name in procedures:
        latest = rows(LATEST, {"procedure": name})
        if latest:
            found[name] = _run(latest[0])
    return found


@dataclass(frozen=True, eq=False, repr=False)
class Progress(Record):
    """How far a run got, as resuming it needs to know."""

    # The recorded outcome of each finished step (the last one wins).
    outcomes: dict[str, Outcome]
    # Hosts that passed a step whose outcome is not recorded (a fan-out step cut short).
    passed_hosts: dict[str, set[str]]
    # The last attempt number recorded for each step, so a rerun goes on counting.
    attempts_before: dict[str, int]


def read_progress(rows: Rows, run_id: int) -> Progress:
    """Return the outcomes, passed hosts and attempt numbers a resume starts from."""
    outcomes = {key: Outcome(outcome) for key, outcome in rows(OUTCOMES, {"run_id": run_id})}
    passed_hosts: dict[str, set[str]] = {}
    attempts_before: dict[str, int] = {}
    for key, host, attempt, status in rows(PROGRESS, {"run_id": run_id}):
        attempts_before[key] = max(attempts_before.get(key, 0), attempt)
        if status == "passed" and key not in outcomes:
            passed_hosts.setdefault(key, set()).add(host)
    return Progress(outcomes, passed_hosts, attempts_before)
