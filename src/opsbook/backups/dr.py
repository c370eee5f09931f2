"""Disaster recovery drills: run the runbook's Disaster Recovery Steps against the scratch
target its front matter names (`dr:`), and measure what a real recovery would take.

RTO: from the drill's start until the validation checks pass, each step timed. RPO: a
canary record with the time is written into the live system before the drill; after the
recovery the newest canary the recovered target holds says how much would have been lost.
A step without a command is a person's (telling stakeholders): it is listed, not run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from opsbook.backups.dr_report import report
from opsbook.backups.dr_settings import DrPlan
from opsbook.backups.shell import CommandRunner
from opsbook.backups.tables import DrDrillRow
from opsbook.backups.views import DrDrillView, DrStepView
from opsbook.errors import BadInput, NotFound
from opsbook.runbook.model import Runbook
from opsbook.store.timestamps import iso

if TYPE_CHECKING:
    from opsbook.store.database import Database

_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?")


def run_dr_drill(
    *,
    db: Database,
    runbook: Runbook,
    plan: DrPlan,
    base: Path,
    clock: Callable[[], datetime],
    runner: CommandRunner,
) -> DrDrillView:
    """Run the Disaster Recovery Steps on the scratch target; record and return the report."""
    recovery = runbook.disaster_recovery
    if not any(step.command for step in recovery.steps):
        raise BadInput(
            "the runbook's Disaster Recovery Steps have no command to run",
            "write each step's command in a code span after it",
        )
    if not plan.env:
        raise BadInput(
            "the front matter names no scratch target for DR drills (`dr: env:`)",
            "a drill never recovers over the live system; see docs/backups.md",
        )
    notes: list[str] = []
    canary = clock()
    if plan.canary_write:
        wrote = runner.run(
            plan.canary_write,
            cwd=base,
            env={"OPSBOOK_CANARY": canary.isoformat()},
            timeout=plan.timeout_seconds,
        )
        if not wrote.ok:
            notes.append(f"the canary could not be written: {wrote.output[-300:]}")
    else:
        notes.append("no canary (`dr: canary:`): the RPO is not measured")
    started = clock()
    env = {**plan.env, "OPSBOOK_DR_DRILL": "1"}
    steps: list[DrStepView] = []
    failed = False
    for number, step in enumerate(recovery.steps, start=1):
        if failed:
            steps.append(DrStepView(number, step.text, step.command, 0.0, "skipped"))
            continue
        if step.command is None:
            steps.append(DrStepView(number, step.text, None, 0.0, "manual"))
            continue
        before = clock()
        ran = runner.run(
            step.command, cwd=base, env=env, timeout=step.attrs.timeout or plan.timeout_seconds
        )
        seconds = (clock() - before).total_seconds()
        outcome = "passed" if ran.ok else "failed"
        steps.append(DrStepView(number, step.text, step.command, seconds, outcome, ran.output))
        if not ran.ok and not step.attrs.continue_on_error:
            failed = True
    rto = None
    for number, command in enumerate(plan.validate, start=len(steps) + 1):
        if failed:
            steps.append(DrStepView(number, f"Validate: {command}", command, 0.0, "skipped"))
            continue
        before = clock()
        ran = runner.run(command, cwd=base, env=env, timeout=plan.timeout_seconds)
        seconds = (clock() - before).total_seconds()
        outcome = "passed" if ran.ok else "failed"
        steps.append(
            DrStepView(number, f"Validate: {command}", command, seconds, outcome, ran.output)
        )
        failed = failed or not ran.ok
    if not failed:
        rto = (clock() - started).total_seconds()
    rpo = None
    if plan.canary_read:
        read = runner.run(plan.canary_read, cwd=base, env=env, timeout=plan.timeout_seconds)
        survived = _newest_time(read.output)
        if survived is None:
            notes.append("no canary survived the recovery: the RPO is not measured")
        else:
            rpo = max(0.0, (canary - survived).total_seconds())
            notes.append(f"newest canary that survived: {survived.isoformat()}")
    for command in plan.cleanup:
        done = runner.run(command, cwd=base, env=env, timeout=plan.timeout_seconds)
        if not done.ok:
            notes.append(f"cleanup `{command}` failed: {done.output[-300:]}")
    state = "failed" if failed else "passed"
    finished = clock()
    text = report(
        title=runbook.system.name or runbook.title or Path(runbook.path).name,
        started_at=started.isoformat(),
        state=state,
        rto=rto,
        rto_target=recovery.rto_seconds,
        rpo=rpo,
        rpo_target=recovery.rpo_seconds,
        steps=steps,
        notes=notes,
    )
    with db.transaction() as session:
        row = DrDrillRow(
            state=state,
            started_at=started,
            finished_at=finished,
            rto_seconds=rto,
            rpo_seconds=rpo,
            rto_target=recovery.rto_seconds,
            rpo_target=recovery.rpo_seconds,
            steps=[_step_data(s) for s in steps],
            report=text,
        )
        session.add(row)
        session.flush()
        return _view(row)


def list_dr_drills(*, db: Database, limit: int = 20) -> list[DrDrillView]:
    """Return DR drills, newest first."""
    with db.transaction() as session:
        rows = session.scalars(select(DrDrillRow).order_by(DrDrillRow.id.desc()).limit(limit))
        return [_view(r) for r in rows]


def show_dr_drill(*, db: Database, drill_id: int) -> DrDrillView:
    """Return one DR drill and its report."""
    with db.transaction() as session:
        row = session.get(DrDrillRow, drill_id)
        if row is None:
            raise NotFound(f"no DR drill #{drill_id}", "see `opsbook dr list`")
        return _view(row)


def _newest_time(text: str) -> datetime | None:
    times = []
    for found in _TIME.findall(text):
        try:
            moment = datetime.fromisoformat(found.replace("Z", "+00:00"))
        except ValueError:
            continue
        if moment.tzinfo is not None:
            times.append(moment)
    return max(times, default=None)


def _step_data(step: DrStepView) -> dict[str, object]:
    return {
        "number": step.number,
        "text": step.text,
        "command": step.command,
        "seconds": step.seconds,
        "outcome": step.outcome,
        "output": step.output,
    }


def _view(row: DrDrillRow) -> DrDrillView:
    steps = tuple(
        DrStepView(
            int(s["number"]),
            str(s["text"]),
            s.get("command"),
            float(s["seconds"]),
            str(s["outcome"]),
            str(s.get("output", "")),
        )
        for s in row.steps
    )
    return DrDrillView(
        id=row.id,
        state=row.state,
        started_at=iso(row.started_at) or "",
        finished_at=iso(row.finished_at),
        rto_seconds=row.rto_seconds,
        rpo_seconds=row.rpo_seconds,
        rto_target=row.rto_target,
        rpo_target=row.rpo_target,
        steps=steps,
        report=row.report,
    )
