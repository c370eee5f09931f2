"""The RunStore contract, held against every store: light SQLite, SQLAlchemy on SQLite and on
PostgreSQL. Each test writes through the contract and reads back through the one reader."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from opsbook.procedures.confirm import AutoConfirmer, Confirmation, Decision
from opsbook.procedures.drive import drive
from opsbook.procedures.engine import Event, Outcome, Plan, RunStatus, TransitionRefused
from opsbook.procedures.executors.protocol import CommandResult
from opsbook.procedures.executors.session_shell import local_executor
from opsbook.procedures.executors.ssh_hosts import SshHosts
from opsbook.procedures.loop_free import blocking_sleep, run_loop_free
from opsbook.procedures.plan import masker_for
from opsbook.procedures.runner import QuietReporter, RunLog
from opsbook.procedures.stores.reader import read_latest, read_progress, read_run, read_runs
from opsbook.procedures.views import (
    AttemptView,
    ConfirmationView,
    RunDetailView,
    RunView,
)
from opsbook.runbook.parser import parse_runbook
from tests.procedures.stores.conftest import BOOK, ME, SECRET, START, Subject, backup_plan


def _run(subject: Subject, run_id: int) -> RunDetailView:
    run = subject.read(lambda rows: read_run(rows, run_id))
    assert run is not None
    return run


def _log(subject: Subject, plan: Plan) -> tuple[int, RunLog]:
    run_id = subject.store.start_run(plan, ME)
    return run_id, subject.store.journal(run_id, masker_for(plan))


def _listed(run: RunDetailView) -> RunView:
    return RunView(**{f.name: getattr(run, f.name) for f in fields(RunView)})


def test_a_started_run_reads_back_running_with_its_secret_masked(
    subject: Subject, plan: Plan
) -> None:
    run_id = subject.store.start_run(plan, ME)
    assert _run(subject, run_id) == RunDetailView(
        id=run_id,
        procedure="deploy",
        title="Deploy Procedure",
        kind="procedure",
        runbook=plan.runbook_path,
        status="running",
        message="",
        started_at=START,
        finished_at=None,
        started_by="alice",
        params={"VERSION": "1.4", "API_TOKEN": "****"},
        host=None,
        waiting_step=None,
        steps={},
        attempts=(),
        confirmations=(),
    )


def test_a_started_run_records_the_process_that_drives_it_and_its_plan(
    subject: Subject, plan: Plan
) -> None:
    run_id = subject.store.start_run(plan, ME)
    query = "SELECT machine, pid, process_started, plan_digest FROM runs WHERE id = :run_id"
    found = subject.read(lambda rows: [tuple(r) for r in rows(query, {"run_id": run_id})])
    assert found == [("test-machine", 4242, 1700000000.25, plan.digest)]


def test_attempts_read_back_in_order_with_their_output_masked_and_the_steps_outcomes(
    subject: Subject, plan: Plan
) -> None:
    clock = subject.clock
    run_id, log = _log(subject, plan)
    ship, restart = plan.item("steps:1"), plan.item("steps:3")
    assert ship is not None and restart is not None
    first_at = clock.tick()
    first = log.attempt_started(ship, "local", 1)
    first_end = clock.tick()
    failed = CommandResult(1, f"using {SECRET}\n", "no route\n", duration=0.123456)
    log.attempt_finished(first, "failed", failed)
    second_at = clock.tick()
    second = log.attempt_started(ship, "local", 2)
    second_end = clock.tick(2)
    log.attempt_finished(
        second, "passed", CommandResult(0, "shipped\n", duration=1.5), (ship, Outcome.PASSED)
    )
    third_at = clock.tick()
    third = log.attempt_started(restart, "web1", 1)
    third_end = clock.tick()
    log.attempt_finished(third, "error", CommandResult(None, error=f"cannot reach {SECRET}"))
    clock.tick()
    log.step_finished(restart, Outcome.IGNORED)

    run = _run(subject, run_id)
    assert run.steps == {"steps:1": "passed", "steps:3": "failed-ignored"}
    command = ship.command
    assert run.attempts == (
        AttemptView(
            "steps:1",
            "steps",
            1,
            "Ship it",
            command,
            "local",
            1,
            "failed",
            1,
            first_at,
            first_end,
            0.1235,
            "using ****\n",
            "no route\n",
            None,
        ),
        AttemptView(
            "steps:1",
            "steps",
            1,
            "Ship it",
            command,
            "local",
            2,
            "passed",
            0,
            second_at,
            second_end,
            1.5,
            "shipped\n",
            "",
            None,
        ),
        AttemptView(
            "steps:3",
            "steps",
            3,
            "Restart",
            restart.command,
            "web1",
            1,
            "error",
            None,
            third_at,
            third_end,
            0.0,
            "",
            "",
            "cannot reach ****",
        ),
    )


def test_a_persons_answer_is_an_attempt_with_no_command_result(
    subject: Subject, plan: Plan
) -> None:
    clock = subject.clock
    run_id, log = _log(subject, plan)
    look = plan.item("steps:2")
    assert look is not None
    asked = clock.tick()
    attempt = log.attempt_started(look, "person", 1)
    answered = clock.tick()
    log.attempt_finished(attempt, "confirmed", None)
    assert _run(subject, run_id).attempts == (
        AttemptView(
            "steps:2",
            "steps",
            2,
            "Look at the dashboard",
            None,
            "person",
            1,
            "confirmed",
            None,
            asked,
            answered,
            None,
            "",
            "",
            None,
        ),
    )


def test_resume_reads_outcomes_last_attempt_numbers_and_the_hosts_that_passed(
    subject: Subject, plan: Plan
) -> None:
    run_id, log = _log(subject, plan)
    disk, ship = plan.item("prerequisites:1"), plan.item("steps:1")
    assert disk is not None and ship is not None
    checked = log.attempt_started(disk, "local", 1)
    log.attempt_finished(checked, "passed", CommandResult(0), (disk, Outcome.PASSED))
    # A fan-out step cut short: web1 passed, web2 failed and was being retried.
    for host, status in (("web1", "passed"), ("web2", "failed")):
        log.attempt_finished(log.attempt_started(ship, host, 1), status, CommandResult(0))
    log.attempt_started(ship, "web2", 2)
    subject.store.interrupted(run_id, "its process died")

    progress = subject.read(lambda rows: read_progress(rows, run_id))
    assert progress.outcomes == {"prerequisites:1": Outcome.PASSED}
    assert progress.passed_hosts == {"steps:1": {"web1"}}
    assert progress.attempts_before == {"prerequisites:1": 1, "steps:1": 2}


def test_a_step_waits_once_and_the_dashboards_answer_fills_in_that_confirmation(
    subject: Subject, plan: Plan
) -> None:
    clock = subject.clock
    run_id, log = _log(subject, plan)
    look = plan.item("steps:2")
    assert look is not None
    asked = clock.tick()
    log.confirmation(look, Confirmation(Decision.WAITING))
    clock.tick()
    log.confirmation(look, Confirmation(Decision.WAITING))  # resumed, still nobody: one ask
    assert log.decided(look) is None
    answered = clock.tick()
    log.confirmation(look, Confirmation(Decision.CONFIRMED, "omar", "web"))
    decided = log.decided(look)
    assert decided == Confirmation(Decision.CONFIRMED, "omar", "web")
    clock.tick()
    log.confirmation(look, decided)  # the runner records the answer it read: nothing new
    assert _run(subject, run_id).confirmations == (
        ConfirmationView("steps:2", "confirmed", "omar", "web", asked, answered),
    )


def test_an_answer_at_the_terminal_is_recorded_but_never_read_as_the_dashboards(
    subject: Subject, plan: Plan
) -> None:
    clock = subject.clock
    run_id, log = _log(subject, plan)
    look = plan.item("steps:2")
    assert look is not None
    skipped = clock.tick()
    log.confirmation(look, Confirmation(Decision.SKIPPED, "alice", "terminal"))
    assert log.decided(look) is None
    asked = clock.tick()
    log.confirmation(look, Confirmation(Decision.WAITING))
    assert _run(subject, run_id).confirmations == (
        ConfirmationView("steps:2", "skipped", "alice", "terminal", skipped, skipped),
        ConfirmationView("steps:2", "waiting", None, None, asked, None),
    )


def test_a_run_that_waits_names_its_step_and_finishes_when_it_fails(
    subject: Subject, plan: Plan
) -> None:
    store, clock = subject.store, subject.clock
    run_id = store.start_run(plan, ME)
    clock.tick()
    said = 'step 2 "Look at the dashboard" waits for a person'
    assert store.transition(run_id, Event.WAIT, said, waiting="steps:2") is RunStatus.WAITING
    run = _run(subject, run_id)
    assert (run.status, run.message, run.waiting_step, run.finished_at) == (
        "waiting",
        said,
        "steps:2",
        None,
    )
    ended = clock.tick()
    assert store.transition(run_id, Event.FAIL, "aborted by omar") is RunStatus.FAILED
    run = _run(subject, run_id)
    assert (run.status, run.message, run.waiting_step, run.finished_at) == (
        "failed",
        "aborted by omar",
        None,
        ended,
    )


def test_a_run_that_succeeds_is_finished_at_that_moment(subject: Subject, plan: Plan) -> None:
    run_id = subject.store.start_run(plan, ME)
    ended = subject.clock.tick(30)
    assert subject.store.transition(run_id, Event.SUCCEED, "all passed") is RunStatus.SUCCEEDED
    run = _run(subject, run_id)
    assert (run.status, run.message, run.finished_at) == ("succeeded", "all passed", ended)


def test_a_refused_transition_or_interruption_leaves_the_record_as_it_was(
    subject: Subject, plan: Plan
) -> None:
    store = subject.store
    run_id = store.start_run(plan, ME)
    store.transition(run_id, Event.ROLL_BACK, "step 1 failed; rolled back")
    before = _run(subject, run_id)
    subject.clock.tick()
    with pytest.raises(TransitionRefused, match="already finished"):
        store.transition(run_id, Event.WAIT, "waits", waiting="steps:2")
    with pytest.raises(TransitionRefused, match="already finished"):
        store.interrupted(run_id, "stopped by a signal")
    assert _run(subject, run_id) == before


def test_an_interrupted_run_marks_its_running_attempts_and_says_where_it_stopped(
    subject: Subject, plan: Plan
) -> None:
    run_id, log = _log(subject, plan)
    disk, ship = plan.item("prerequisites:1"), plan.item("steps:1")
    assert disk is not None and ship is not None
    log.attempt_finished(log.attempt_started(disk, "local", 1), "passed", CommandResult(0))
    log.attempt_started(ship, "web1", 1)
    log.attempt_started(ship, "web2", 1)
    subject.store.interrupted(run_id, "stopped by a signal")
    run = _run(subject, run_id)
    assert run.status == "interrupted"
    assert run.message == 'interrupted at step 1 "Ship it": stopped by a signal'
    assert [a.status for a in run.attempts] == ["passed", "interrupted", "interrupted"]
    assert run.finished_at is None


def test_a_run_interrupted_between_steps_says_only_why(subject: Subject, plan: Plan) -> None:
    run_id = subject.store.start_run(plan, ME)
    subject.store.interrupted(run_id, "its process died")
    assert _run(subject, run_id).message == "interrupted: its process died"


def test_runs_list_newest_first_filtered_paged_and_the_latest_of_each_procedure(
    subject: Subject, plan: Plan, tmp_path: Path
) -> None:
    store = subject.store
    first = store.start_run(plan, ME)
    backup = store.start_run(backup_plan(tmp_path / "RUNBOOK.md"), ME)
    second = store.start_run(plan, ME)
    store.transition(first, Event.SUCCEED, "all passed")

    def ids(
        limit: int, before: int | None = None, procedure: str = "", status: str = ""
    ) -> list[int]:
        listed = subject.read(
            lambda rows: read_runs(
                rows, limit=limit, before=before, procedure=procedure, status=status
            )
        )
        return [r.id for r in listed]

    assert ids(limit=10) == [second, backup, first]
    assert ids(limit=2) == [second, backup]
    assert ids(limit=2, before=backup) == [first]
    assert ids(limit=10, procedure="deploy") == [second, first]
    assert ids(limit=10, status="succeeded") == [first]
    assert ids(limit=10, procedure="deploy", status="running", before=second) == []
    latest = subject.read(lambda rows: read_latest(rows, ["deploy", "backup", "nowhere"]))
    assert latest == {
        "deploy": _listed(_run(subject, second)),
        "backup": _listed(_run(subject, backup)),
    }


def test_an_unknown_run_reads_as_none_and_an_empty_store_lists_nothing(subject: Subject) -> None:
    assert subject.read(lambda rows: read_run(rows, 404)) is None
    assert subject.read(lambda rows: read_runs(rows, limit=50)) == []
    assert subject.read(lambda rows: read_progress(rows, 404)).outcomes == {}


@pytest.mark.process
def test_a_run_driven_to_its_end_reads_back_the_same_on_every_store(
    subject: Subject, plan: Plan, tmp_path: Path
) -> None:
    runbook = parse_runbook(BOOK, str(tmp_path / "RUNBOOK.md"))
    run_id = subject.store.start_run(plan, ME)
    end = run_loop_free(
        drive(
            store=subject.store,
            plan=plan,
            run_id=run_id,
            confirmer=AutoConfirmer("alice"),
            reporter=QuietReporter(),
            local=local_executor({}, blocking=True),
            remote=SshHosts(runbook),
            sleep=blocking_sleep,
        )
    )
    assert end.status is RunStatus.SUCCEEDED
    run = _run(subject, run_id)
    assert (run.status, run.message) == ("succeeded", end.reason)
    assert run.steps == {
        "prerequisites:1": "passed",
        "steps:1": "passed",
        "steps:2": "passed",
        "steps:3": "passed",
    }
    assert [(a.step, a.host, a.status, a.exit_code, a.stdout) for a in run.attempts] == [
        ("prerequisites:1", "local", "passed", 0, ""),
        ("steps:1", "local", "passed", 0, "shipping 1.4 with ****\n"),
        ("steps:2", "person", "confirmed", None, ""),
        ("steps:3", "local", "passed", 0, "restarted\n"),
    ]
    assert [(c.step, c.decision, c.by, c.via) for c in run.confirmations] == [
        ("steps:2", "confirmed", "alice", "yes")
    ]
