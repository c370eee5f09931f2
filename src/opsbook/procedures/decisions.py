"""People deciding the step a run waits at: confirm, skip, approve, abort.

A manual step stops a run nobody watches at a terminal as `waiting`, with a `waiting`
confirmation on that step. A person's answer is recorded on that confirmation (via the web),
which the engine reads first when the run goes on, and the run is queued again in the same
transaction. Each decision holds the run's row while it decides, so people deciding one step
at once are served one after the other: exactly one decides it, and everyone after is told
who did and when. A step with `approvals=N` needs N operators other than the one who
started the run (separation of duties).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from opsbook.errors import BadInput, Conflict, Forbidden, Refused
from opsbook.procedures.confirm import Decision
from opsbook.procedures.engine import RunStatus
from opsbook.procedures.run_jobs import is_waiting_for_a_worker, queue_in, run_of
from opsbook.procedures.stores import queries
from opsbook.procedures.stores.tables import ApprovalRow, ConfirmationRow
from opsbook.procedures.waiting import waiting_step
from opsbook.store.timestamps import utc

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from opsbook.procedures.drive import Clock
    from opsbook.procedures.stores.tables import RunRow
    from opsbook.procedures.views import WaitingView
    from opsbook.runbook.model import Runbook
    from opsbook.store.database import Database


class RunStopper(Protocol):
    """Stops a run this process drives now (the server's worker implements it)."""

    def stop(self, run_id: int, by: str) -> bool:
        """Ask the run to stop, saying who asked; return whether this process drives it."""
        ...


def answer(
    *,
    db: Database,
    runbook: Runbook,
    run_id: int,
    decision: Decision,
    by: str,
    environ: Mapping[str, str],
    now: Clock,
    step: str | None = None,
) -> None:
    """Confirm, skip or abort the step a run waits at (`step`, if given), and send it on.

    Conflict if the run no longer waits there or someone decided the step first.
    """
    if decision is Decision.WAITING:
        raise BadInput("answer confirmed, skipped or aborted")
    with db.transaction() as session:
        row, waiting = _held(session, runbook, run_id, step, environ)
        if waiting.approvals_needed and decision is not Decision.ABORTED:
            raise Refused(
                f"{waiting.label} needs {waiting.approvals_needed} approvals from operators "
                "other than the one who started the run; approve it instead"
            )
        _decide(session, row, waiting.label, decision, by, now())


def approve(
    *,
    db: Database,
    runbook: Runbook,
    run_id: int,
    by: str,
    environ: Mapping[str, str],
    now: Clock,
    step: str | None = None,
) -> tuple[str, ...]:
    """Approve the step a run waits at; with enough approvals, send the run on.

    Return who approved it so far. Forbidden for the one who started the run; Conflict if
    `by` approved it already, or the step was decided first.
    """
    with db.transaction() as session:
        row, waiting = _held(session, runbook, run_id, step, environ)
        if not waiting.approvals_needed:
            raise Refused(f"{waiting.label} needs a confirmation, not approvals")
        if by == row.started_by:
            raise Forbidden(
                f"{by} started run {run_id} and cannot approve it; another operator must"
            )
        given = queries.approvals_of(session, run_id, waiting.key)
        mine = next((a for a in given if a.approver == by), None)
        if mine is not None:
            raise Conflict(f"{by} already approved {waiting.label} at {_when(mine.approved_at)}")
        session.add(
            ApprovalRow(run_id=run_id, step_key=waiting.key, approver=by, approved_at=now())
        )
        done = (*waiting.approved_by, by)
        if len(done) >= waiting.approvals_needed:
            _decide(session, row, waiting.label, Decision.CONFIRMED, _approved(done), now())
        else:
            row.message = (
                f"{waiting.label} has {len(done)} of {waiting.approvals_needed} approvals "
                f"({', '.join(done)})"
            )
        return done


def abort(
    *,
    db: Database,
    runbook: Runbook,
    run_id: int,
    by: str,
    environ: Mapping[str, str],
    now: Clock,
    stopper: RunStopper,
    step: str | None = None,
) -> None:
    """Abort a run: at the step it waits at, or, while it runs, stop it where it is.

    With `step` the abort is a decision on that step alone, in one transaction against the
    step's waiting state: if someone decided it first, Conflict says who, and a run that
    went on is never stopped by an abort meant for the step it has left.
    """
    if step is None:
        with db.transaction() as session:
            row = run_of(session, run_id)
            status, queued = row.status, is_waiting_for_a_worker(session, run_id)
        if status == RunStatus.RUNNING:
            _stop(stopper, run_id, by, queued)
            return
    # A waiting run is aborted at its step. One that has ended since (someone decided first)
    # is refused by the same path, which says who decided what and when.
    answer(
        db=db,
        runbook=runbook,
        run_id=run_id,
        decision=Decision.ABORTED,
        by=by,
        environ=environ,
        now=now,
        step=step,
    )


def _stop(stopper: RunStopper, run_id: int, by: str, queued: bool) -> None:
    if stopper.stop(run_id, by):
        return
    if queued:
        raise Refused(
            f"run {run_id} is queued for a worker and nobody drives it yet",
            "reload the run, and abort it once it runs or waits at a step",
        )
    raise Refused(f"run {run_id} is driven by another process; abort it there")


def _held(
    session: Session, runbook: Runbook, run_id: int, step: str | None, environ: Mapping[str, str]
) -> tuple[RunRow, WaitingView]:
    """Return the run, locked for one decision on the step it waits at (Conflict if none).

    Whoever decides second waits for the lock, then reads the first decision and is told.
    """
    row = run_of(session, run_id)
    key = step or row.waiting_step
    if (
        row.status == RunStatus.WAITING
        and key
        and key == row.waiting_step
        and queries.hold_waiting_run(session, run_id, key)
    ):
        done = [a.approver for a in queries.approvals_of(session, run_id, key)]
        waiting = waiting_step(runbook, row, done, environ)
        assert waiting is not None  # the run waits at a step
        return row, waiting
    session.refresh(row)
    raise Conflict(_not_waiting(session, row, step), "reload the run to see where it is")


def _not_waiting(session: Session, row: RunRow, step: str | None) -> str:
    if step is not None and row.status == RunStatus.WAITING:
        message = f"run {row.id} waits at {row.waiting_step}, not at {step}"
    else:
        message = f"run {row.id} is {row.status}, not waiting for a person"
    last = queries.last_decision(session, row.id)
    if last is not None:
        message += f"; {_decided(last.step_key, last)}"
    return message


def _decided(label: str, row: ConfirmationRow) -> str:
    """Say who decided a step and when: `Check was already confirmed by ann at 12:03:04 UTC`."""
    by = row.decided_by or "someone"
    who = f"({by})" if by.startswith("approved by ") else f"by {by}"
    return f"{label} was already {row.decision} {who} at {_when(row.decided_at)}"


def _approved(approvers: tuple[str, ...]) -> str:
    return "approved by " + ", ".join(approvers)


def _when(moment: datetime | None) -> str:
    aware = utc(moment)
    return aware.strftime("%Y-%m-%d %H:%M:%S UTC") if aware else "an unknown time"


def _decide(
    session: Session, row: RunRow, label: str, decision: Decision, by: str, now: datetime
) -> None:
    """Answer the step's open confirmation and queue the run to go on; Conflict if answered."""
    # The engine stored a `waiting` confirmation when the run stopped; answer it, unless
    # someone answered it first (then this decision loses, and says to whom).
    key = row.waiting_step or ""
    values = {"decision": str(decision), "decided_by": by, "via": "web", "decided_at": now}
    latest = queries.open_confirmation(session, row.id, key)
    if latest is None:
        session.add(ConfirmationRow(run_id=row.id, step_key=key, requested_at=now, **values))
    elif latest.decision != Decision.WAITING or not queries.answer_waiting(
        session, latest.id, values
    ):
        session.refresh(latest)
        raise Conflict(_decided(label, latest), "reload the run to see where it is")
    row.message = f"{decision} by {by} via the web; going on"
    session.flush()
    queue_in(session, row.id, resume=True, now=now)
