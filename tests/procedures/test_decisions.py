"""Deciding the step a run waits at: one decision wins, an abort that names its step never
stops the run someone else sent on, and a run queued but not driven yet says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsbook.errors import Conflict, Forbidden, Refused
from opsbook.incidents.guard import ShutdownGuard
from opsbook.procedures import decisions
from opsbook.procedures.confirm import Confirmation, Decision
from opsbook.procedures.drive import this_process
from opsbook.procedures.engine import Event, Plan
from opsbook.procedures.plan import build_plan, masker_for
from opsbook.procedures.run_jobs import start_queued_run
from opsbook.procedures.service import DatabaseRunStore
from opsbook.runbook.loader import load_runbook
from opsbook.runbook.model import Runbook
from opsbook.store.database import Database
from opsbook.worker.queue import claim, counts
from tests.incidents.clock import FakeClock

RUNBOOK = Path(__file__).parent.parent / "web" / "data" / "RUNBOOK.md"


class Stopper:
    """The RunStopper of a process that drives the runs it is told it drives."""

    def __init__(self, drives: bool) -> None:
        self.drives = drives
        self.asked: list[tuple[int, str]] = []

    def stop(self, run_id: int, by: str) -> bool:
        self.asked.append((run_id, by))
        return self.drives


@pytest.fixture
def book() -> Runbook:
    return load_runbook(RUNBOOK)


def _started(db: Database, book: Runbook, procedure: str, **params: str) -> tuple[int, Plan]:
    plan = build_plan(book, target=procedure, params=params, environ={})
    clock = FakeClock()
    me = this_process("olga")
    guard = ShutdownGuard(lambda: db)
    return start_queued_run(db=db, plan=plan, me=me, now=clock, guard=guard), plan


def _waiting(db: Database, book: Runbook, procedure: str, key: str, **params: str) -> int:
    """Start a run, claim its job as a worker would, and stop it at `key` as the engine does."""
    run_id, plan = _started(db, book, procedure, **params)
    clock = FakeClock()
    assert claim(db, worker="here", now=clock())
    store = DatabaseRunStore(db, clock)
    store.journal(run_id, masker_for(plan)).confirmation(
        plan.item(key), Confirmation(Decision.WAITING)
    )
    store.transition(run_id, Event.WAIT, "waits for a person", waiting=key)
    return run_id


def _abort(db: Database, book: Runbook, run_id: int, stopper: Stopper, step: str | None) -> None:
    decisions.abort(
        db=db,
        runbook=book,
        run_id=run_id,
        by="bob",
        environ={},
        now=FakeClock(),
        stopper=stopper,
        step=step,
    )


def test_an_abort_of_a_run_queued_but_not_driven_yet_says_so(db: Database, book: Runbook) -> None:
    run_id, _ = _started(db, book, "quick")
    stopper = Stopper(drives=False)
    with pytest.raises(Refused, match="queued for a worker and nobody drives it yet"):
        _abort(db, book, run_id, stopper, None)
    assert stopper.asked == [(run_id, "bob")]


def test_an_abort_naming_a_decided_step_is_a_conflict_that_says_who_decided(
    db: Database, book: Runbook
) -> None:
    run_id = _waiting(db, book, "startup", "steps:2")
    decisions.answer(
        db=db,
        runbook=book,
        run_id=run_id,
        decision=Decision.CONFIRMED,
        by="ann",
        environ={},
        now=FakeClock(),
        step="steps:2",
    )
    # The worker claimed the job the decision queued: the run is running again.
    DatabaseRunStore(db, FakeClock()).transition(run_id, Event.RESUME, "going on")
    stopper = Stopper(drives=True)
    with pytest.raises(Conflict, match="steps:2 was already confirmed by ann at "):
        _abort(db, book, run_id, stopper, "steps:2")
    assert stopper.asked == []  # never stops the run the winner sent on
    assert counts(db) == {"running": 1, "queued": 1}  # sent on once
    _abort(db, book, run_id, stopper, None)  # an abort of the run as it is now stops it
    assert stopper.asked == [(run_id, "bob")]


def test_an_abort_naming_the_step_the_run_waits_at_decides_it(db: Database, book: Runbook) -> None:
    run_id = _waiting(db, book, "startup", "steps:2")
    _abort(db, book, run_id, Stopper(drives=False), "steps:2")
    with pytest.raises(Conflict, match="step 2/3 was already aborted by bob at "):
        _abort(db, book, run_id, Stopper(drives=False), "steps:2")


def test_the_one_who_started_a_run_cannot_approve_it(db: Database, book: Runbook) -> None:
    run_id = _waiting(db, book, "deploy", "steps:2", VERSION="2.0")
    with pytest.raises(Forbidden, match=r"olga started run \d+ and cannot approve it"):
        decisions.approve(
            db=db, runbook=book, run_id=run_id, by="olga", environ={}, now=FakeClock()
        )
    assert decisions.approve(
        db=db, runbook=book, run_id=run_id, by="omar", environ={}, now=FakeClock()
    ) == ("omar",)
