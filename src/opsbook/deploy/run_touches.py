"""Read the run records: step attempts since a moment (attribution), deployment runs."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from opsbook.deploy.attribution import SLACK_BEFORE, StepTouch
from opsbook.deploy.deployed import DeployRun
from opsbook.procedures.stores.reader import readable_params
from opsbook.procedures.stores.tables import AttemptRow, RunRow
from opsbook.store.timestamps import utc

# At most this many attempts are read; a drift check looks at the recent past.
MAX_TOUCHES = 5000


def touches_since(session: Session, since: datetime) -> list[StepTouch]:
    """Return the step attempts started since `since` (or still running then), newest first."""
    start = (since - SLACK_BEFORE).astimezone(UTC).replace(tzinfo=None)
    query = (
        select(AttemptRow, RunRow.procedure)
        .join(RunRow, RunRow.id == AttemptRow.run_id)
        .where((AttemptRow.started_at >= start) | (AttemptRow.finished_at.is_(None)))
        .order_by(AttemptRow.id.desc())
        .limit(MAX_TOUCHES)
    )
    out: list[StepTouch] = []
    for attempt, procedure in session.execute(query):
        started = utc(attempt.started_at)
        assert started is not None
        out.append(
            StepTouch(
                run_id=attempt.run_id,
                procedure=procedure,
                step_key=attempt.step_key,
                text=attempt.text,
                command=attempt.command,
                host=attempt.host,
                started_at=started,
                finished_at=utc(attempt.finished_at),
            )
        )
    return out


def deploy_runs(session: Session, limit: int = MAX_TOUCHES) -> list[DeployRun]:
    """Return the newest runs (oldest first), for the deployed versions."""
    rows = session.scalars(select(RunRow).order_by(RunRow.id.desc()).limit(limit)).all()
    out: list[DeployRun] = []
    for row in reversed(rows):
        started = utc(row.started_at)
        assert started is not None
        out.append(
            DeployRun(
                # readable: a row stored before the input checks may hold a lone surrogate
                row.id,
                row.procedure,
                row.host_filter,
                row.status,
                readable_params(row.params),
                started,
            )
        )
    return out
