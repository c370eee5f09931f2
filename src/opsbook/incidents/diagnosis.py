"""Run a troubleshooting issue's diagnosis steps for an incident, through the procedure
engine's service, and put the run and what it printed into the incident's timeline."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from opsbook.errors import BadInput, NotFound
from opsbook.incidents import queries
from opsbook.incidents.guard import ShutdownGuard
from opsbook.incidents.service import link_run, show_incident, suggestions
from opsbook.incidents.tables import EventRow
from opsbook.incidents.views import AttemptSummary, EventView
from opsbook.procedures.guard import Override
from opsbook.procedures.plan import build_plan
from opsbook.procedures.service import execute_run, show_run, start_run

if TYPE_CHECKING:
    from opsbook.procedures.confirm import Confirmer
    from opsbook.procedures.executors.protocol import Executor
    from opsbook.procedures.runner import HostRunner, Reporter
    from opsbook.procedures.service import Me
    from opsbook.procedures.views import RunDetailView
    from opsbook.runbook.model import Runbook
    from opsbook.store.database import Database

OUTPUT_TAIL = 2000  # characters of each step's output kept in the timeline


def choose_issue(*, db: Database, runbook: Runbook, incident_id: int, issue: str | None) -> str:
    """Return the issue id to diagnose: the one asked for, else the best match."""
    if issue:
        found = runbook.issue(issue)
        if found is None:
            known = ", ".join(i.id for i in runbook.troubleshooting) or "none"
            raise BadInput(
                f'no troubleshooting issue "{issue}" in {runbook.path}', f"known issues: {known}"
            )
        return found.id
    matches = [
        m for m in suggestions(db=db, runbook=runbook, incident_id=incident_id) if m.runnable
    ]
    if not matches:
        raise NotFound(
            f"no troubleshooting issue matches incident {incident_id}",
            "name one: opsbook incidents diagnose ID ISSUE",
        )
    return matches[0].issue_id


def _tail(text: str) -> str:
    return text if len(text) <= OUTPUT_TAIL else "…" + text[-OUTPUT_TAIL:]


def run_summary(run: RunDetailView) -> list[AttemptSummary]:
    """Return each attempt of a run as the timeline keeps it: command, exit, output tail."""
    return [
        AttemptSummary(
            step=a.number,
            text=a.text,
            command=a.command,
            host=a.host,
            status=a.status,
            exit_code=a.exit_code,
            stdout=_tail(a.stdout),
            stderr=_tail(a.stderr),
        )
        for a in run.attempts
    ]


async def run_diagnosis(
    *,
    db: Database,
    runbook: Runbook,
    incident_id: int,
    issue: str | None,
    me: Me,
    environ: Mapping[str, str],
    confirmer: Confirmer,
    reporter: Reporter,
    local: Executor,
    remote: HostRunner,
    now: Callable[[], datetime],
) -> EventView:
    """Run the diagnosis steps of `issue` (default: the best match); return the timeline event."""
    issue_id = choose_issue(db=db, runbook=runbook, incident_id=incident_id, issue=issue)
    return await _run_linked(
        db=db,
        runbook=runbook,
        incident_id=incident_id,
        target=f"{issue_id}:diagnosis",
        what="diagnosis",
        me=me,
        environ=environ,
        confirmer=confirmer,
        reporter=reporter,
        local=local,
        remote=remote,
        now=now,
        override=None,
    )


async def run_forced(
    *,
    db: Database,
    runbook: Runbook,
    incident_id: int,
    target: str,
    reason: str,
    me: Me,
    environ: Mapping[str, str],
    confirmer: Confirmer,
    reporter: Reporter,
    local: Executor,
    remote: HostRunner,
    now: Callable[[], datetime],
    admin: bool = True,
) -> EventView:
    """Run a procedure the security guard would refuse, as an admin with a written reason."""
    override = Override(me.user, reason, admin)
    return await _run_linked(
        db=db,
        runbook=runbook,
        incident_id=incident_id,
        target=target,
        what="forced",
        me=me,
        environ=environ,
        confirmer=confirmer,
        reporter=reporter,
        local=local,
        remote=remote,
        now=now,
        override=override,
    )


async def _run_linked(
    *,
    db: Database,
    runbook: Runbook,
    incident_id: int,
    target: str,
    what: str,
    me: Me,
    environ: Mapping[str, str],
    confirmer: Confirmer,
    reporter: Reporter,
    local: Executor,
    remote: HostRunner,
    now: Callable[[], datetime],
    override: Override | None,
) -> EventView:
    show_incident(db=db, incident_id=incident_id)  # NotFound before anything runs
    plan = build_plan(runbook, target=target, params={}, environ=environ)
    guard = ShutdownGuard(lambda: db)
    run_id = start_run(db=db, plan=plan, me=me, now=now, guard=guard, override=override)
    end = await execute_run(
        db=db,
        plan=plan,
        run_id=run_id,
        confirmer=confirmer,
        reporter=reporter,
        local=local,
        remote=remote,
        now=now,
    )
    run = show_run(db=db, run_id=run_id, machine=me.machine, now=now)
    assert run is not None
    text = f"Ran {plan.title} ({what}), run {run_id}: {end.status}"
    return link_run(
        db=db,
        incident_id=incident_id,
        run_id=run_id,
        text=text,
        actor=me.user,
        now=now(),
        data={"target": target, "status": str(end.status), "attempts": run_summary(run)},
    )


def settle_runs(*, db: Database, machine: str, now: Callable[[], datetime]) -> int:
    """Put the output of finished runs started for incidents (from the dashboard) into
    their timelines; return how many were settled."""
    with db.transaction() as session:
        query = select(EventRow).where(EventRow.kind == "run").order_by(EventRow.id.desc())
        pending = [
            (e.id, e.incident_id, dict(e.data))
            for e in session.scalars(query.limit(500))
            if (e.data or {}).get("pending")
        ]
    settled = 0
    for event_id, incident_id, data in pending:
        run = show_run(db=db, run_id=int(data["run_id"]), machine=machine, now=now)
        if run is not None and run.status in ("running", "waiting"):
            continue
        with db.transaction() as session:
            queries.lock_incident(session, incident_id)  # one settler at a time per incident
            row = session.get(EventRow, event_id, populate_existing=True)
            if row is None or not (row.data or {}).get("pending"):
                continue  # another worker settled it
            row.data = {**data, "pending": False}
            status = run.status if run else "missing"
            queries.add_event(
                session,
                incident_id,
                at=now(),
                actor="opsbook",
                kind="run",
                text=f"Run {data['run_id']} ({data.get('target', '')}) {status}",
                data={
                    "run_id": data["run_id"],
                    "target": data.get("target"),
                    "status": status,
                    "attempts": run_summary(run) if run else [],
                },
            )
            settled += 1
    return settled
