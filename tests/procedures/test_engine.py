"""The run state machine and `decide`, without processes or a database."""

from __future__ import annotations

import pytest

from opsbook.procedures.engine import (
    Event,
    Finish,
    Outcome,
    Phase,
    Plan,
    PlanItem,
    RunItem,
    RunStatus,
    TransitionRefused,
    apply,
    decide,
    passed,
)
from opsbook.runbook.model import Step


def item(phase: Phase, number: int, command: str | None = "true") -> PlanItem:
    return PlanItem(
        f"{phase}:{number}",
        phase,
        number,
        3,
        Step(f"{phase} {number}", command),
        command,
        ("local",),
    )


def plan(*items: PlanItem) -> Plan:
    return Plan("startup", "Startup Procedure", "procedure", "RUNBOOK.md", items)


PRE = [item(Phase.PREREQUISITES, 1), item(Phase.PREREQUISITES, 2)]
STEPS = [item(Phase.STEPS, 1), item(Phase.STEPS, 2), item(Phase.STEPS, 3)]
VAL = [item(Phase.VALIDATION, 1)]
BACK = [item(Phase.ROLLBACK, 1)]
FULL = plan(*PRE, *STEPS, *VAL, *BACK)


def outcomes(**values: Outcome) -> dict[str, Outcome]:
    return {k.replace("_", ":"): v for k, v in values.items()}


def test_running_run_can_succeed_fail_roll_back_wait_or_be_interrupted() -> None:
    assert apply(RunStatus.RUNNING, Event.SUCCEED) is RunStatus.SUCCEEDED
    assert apply(RunStatus.RUNNING, Event.ROLL_BACK) is RunStatus.ROLLED_BACK
    assert apply(RunStatus.RUNNING, Event.WAIT) is RunStatus.WAITING
    assert apply(RunStatus.INTERRUPTED, Event.RESUME) is RunStatus.RUNNING
    assert apply(RunStatus.WAITING, Event.RESUME) is RunStatus.RUNNING


def test_refused_transition_says_why() -> None:
    with pytest.raises(TransitionRefused, match="already finished"):
        apply(RunStatus.SUCCEEDED, Event.RESUME)
    with pytest.raises(TransitionRefused, match="a running run cannot resume"):
        apply(RunStatus.RUNNING, Event.RESUME)


def test_first_unrun_item_comes_next() -> None:
    assert decide(FULL, {}) == RunItem(PRE[0])
    done = outcomes(prerequisites_1=Outcome.PASSED, prerequisites_2=Outcome.PASSED)
    assert decide(FULL, done) == RunItem(STEPS[0])


def test_every_prerequisite_runs_before_a_failure_stops_the_run() -> None:
    assert decide(FULL, outcomes(prerequisites_1=Outcome.FAILED)) == RunItem(PRE[1])
    end = decide(FULL, outcomes(prerequisites_1=Outcome.FAILED, prerequisites_2=Outcome.PASSED))
    assert isinstance(end, Finish) and end.event is Event.FAIL
    assert "no step ran" in end.reason


def test_failed_step_goes_to_rollback_and_skips_the_rest() -> None:
    done = outcomes(
        prerequisites_1=Outcome.PASSED,
        prerequisites_2=Outcome.PASSED,
        steps_1=Outcome.PASSED,
        steps_2=Outcome.FAILED,
    )
    assert decide(FULL, done) == RunItem(BACK[0])
    end = decide(FULL, {**done, "rollback:1": Outcome.PASSED})
    assert isinstance(end, Finish) and end.event is Event.ROLL_BACK


def test_failed_validation_goes_to_rollback() -> None:
    done = {i.key: Outcome.PASSED for i in (*PRE, *STEPS)} | {"validation:1": Outcome.FAILED}
    assert decide(FULL, done) == RunItem(BACK[0])


def test_failed_rollback_step_fails_the_run_and_says_so() -> None:
    done = {i.key: Outcome.PASSED for i in (*PRE, *STEPS)}
    done |= {"validation:1": Outcome.FAILED, "rollback:1": Outcome.FAILED}
    end = decide(FULL, done)
    assert isinstance(end, Finish) and end.event is Event.FAIL
    assert "rollback failed" in end.reason


def test_failure_without_rollback_fails_and_says_no_rollback() -> None:
    small = plan(*STEPS)
    end = decide(small, outcomes(steps_1=Outcome.FAILED))
    assert isinstance(end, Finish) and end.event is Event.FAIL
    assert "no rollback" in end.reason


def test_ignored_and_skipped_steps_let_the_run_go_on() -> None:
    small = plan(*STEPS)
    done = outcomes(steps_1=Outcome.IGNORED, steps_2=Outcome.SKIPPED, steps_3=Outcome.PASSED)
    end = decide(small, done)
    assert isinstance(end, Finish) and end.event is Event.SUCCEED


def test_a_success_with_failures_let_through_says_how_many_and_never_all_passed() -> None:
    many = plan(*(item(Phase.STEPS, n) for n in range(1, 12)))
    done = {f"steps:{n}": Outcome.PASSED for n in range(1, 12)}
    end = decide(many, done)
    assert isinstance(end, Finish) and end.reason == "all 11 items passed"
    done |= {"steps:2": Outcome.IGNORED, "steps:5": Outcome.IGNORED, "steps:9": Outcome.IGNORED}
    end = decide(many, done)
    assert isinstance(end, Finish) and end.event is Event.SUCCEED
    assert end.reason == (
        "8 of 11 items passed; 3 failed and were allowed to continue (continue_on_error)"
    )
    done |= {"steps:5": Outcome.PASSED, "steps:9": Outcome.SKIPPED}
    end = decide(many, done)
    assert isinstance(end, Finish) and end.reason == (
        "9 of 11 items passed; 1 failed and was allowed to continue (continue_on_error), 1 skipped"
    )


def test_aborted_step_stops_without_rollback() -> None:
    done = {i.key: Outcome.PASSED for i in PRE} | {"steps:1": Outcome.ABORTED}
    end = decide(FULL, done)
    assert isinstance(end, Finish) and end.event is Event.FAIL and "aborted" in end.reason


def test_expect_matches_exit_code_or_stdout_pattern() -> None:
    assert passed(None, 0, "")
    assert not passed(None, 1, "")
    assert passed("3", 3, "")
    assert passed("ready|ok", 1, "status: ok\n")
    assert not passed("^ready$", 0, "not ready\n")
