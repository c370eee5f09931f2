"""The run state machine and the plan it walks: pure rules, no I/O, no clock.

A run walks its plan phase by phase: prerequisites -> steps -> validation, and on a failed
step or a failed validation check, the rollback. `decide` looks at the outcomes recorded so
far and says what comes next, so a resumed run continues exactly where the record stops.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from opsbook import transitions
from opsbook.runbook.model import Step
from opsbook.runbook.record import Record
from opsbook.runbook.step_safety import Attendance, attendance
from opsbook.transitions import TransitionRefused as TransitionRefused
from opsbook.transitions import TransitionTable

LOCAL = "local"


class RunStatus(StrEnum):
    RUNNING = "running"
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLED_BACK = "rolled-back"
    INTERRUPTED = "interrupted"


class Event(StrEnum):
    SUCCEED = "succeed"
    FAIL = "fail"
    ROLL_BACK = "roll back"
    WAIT = "wait for a person"
    RESUME = "resume"
    INTERRUPT = "interrupt"


TRANSITIONS: dict[RunStatus, dict[Event, RunStatus]] = {
    RunStatus.RUNNING: {
        Event.SUCCEED: RunStatus.SUCCEEDED,
        Event.FAIL: RunStatus.FAILED,
        Event.ROLL_BACK: RunStatus.ROLLED_BACK,
        Event.WAIT: RunStatus.WAITING,
        Event.INTERRUPT: RunStatus.INTERRUPTED,
    },
    RunStatus.WAITING: {
        Event.RESUME: RunStatus.RUNNING,
        Event.FAIL: RunStatus.FAILED,
        Event.INTERRUPT: RunStatus.INTERRUPTED,
    },
    RunStatus.INTERRUPTED: {Event.RESUME: RunStatus.RUNNING, Event.FAIL: RunStatus.FAILED},
}
FINISHED = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.ROLLED_BACK})


def _explain(status: RunStatus, event: Event) -> str | None:
    if status in FINISHED:
        return f"the run already finished ({status}); start a new run instead"
    return None


RUNS = TransitionTable("run", TRANSITIONS, _explain)


def apply(status: RunStatus, event: Event) -> RunStatus:
    """Return the status after the event, or raise TransitionRefused saying why not."""
    return transitions.apply(RUNS, status, event)


class Phase(StrEnum):
    PREREQUISITES = "prerequisites"
    DIAGNOSIS = "diagnosis"
    STEPS = "steps"
    RESOLUTION = "resolution"
    VALIDATION = "validation"
    ROLLBACK = "rollback"

    @property
    def checks(self) -> bool:
        """Say whether every item of the phase runs before the phase is judged."""
        return self in (Phase.PREREQUISITES, Phase.VALIDATION, Phase.DIAGNOSIS)

    @property
    def singular(self) -> str:
        return {
            Phase.PREREQUISITES: "prerequisite",
            Phase.DIAGNOSIS: "diagnosis",
            Phase.STEPS: "step",
            Phase.RESOLUTION: "resolution",
            Phase.VALIDATION: "validation",
            Phase.ROLLBACK: "rollback",
        }[self]


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    # Failed, but the step says continue_on_error.
    IGNORED = "failed-ignored"
    ABORTED = "aborted"


@dataclass(frozen=True, eq=False, repr=False)
class PlanItem(Record):
    """One step or check as it will run: where, with which command, in which phase."""

    key: str
    phase: Phase
    number: int
    of: int
    step: Step
    command: str | None
    hosts: tuple[str, ...]
    cwd: str | None = None
    # The procedure a rollback item comes from when the rollback runs another procedure.
    source: str = ""
    # Seconds before the command is stopped: its `timeout=`, else the runbook's default.
    timeout: float | None = None
    # The other place (a host's shell, a console) an earlier step left the person in.
    inside: str | None = None

    @property
    def label(self) -> str:
        return f"{self.phase.singular} {self.number}/{self.of}"

    @cached_property
    def decision(self) -> Attendance:
        """Say whether the item runs without a person, and why (runbook/step_safety.py)."""
        return attendance(self.step, str(self.phase), self.inside)

    @property
    def needs_person(self) -> bool:
        return self.decision.needs_person

    @property
    def local(self) -> bool:
        return self.hosts == (LOCAL,)


@dataclass(frozen=True, eq=False, repr=False)
class Plan(Record):
    """Everything a run needs, resolved: items in order, parameters and environment."""

    target: str
    title: str
    kind: str
    runbook_path: str
    items: tuple[PlanItem, ...]
    params: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    secret_names: frozenset[str] = frozenset()
    rollback_text: str = ""
    host_filter: str | None = None

    @property
    def digest(self) -> str:
        """Fingerprint the items, so a resume can tell the runbook changed under it."""
        text = "\n".join(f"{i.key}\t{i.command}\t{','.join(i.hosts)}" for i in self.items)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def item(self, key: str) -> PlanItem | None:
        return next((i for i in self.items if i.key == key), None)

    @cached_property
    def forward(self) -> tuple[tuple[Phase, tuple[PlanItem, ...]], ...]:
        """Group the items before any rollback by phase, in order (`decide` reads it often)."""
        phases: dict[Phase, list[PlanItem]] = {}
        for item in self.items:
            if item.phase is not Phase.ROLLBACK:
                phases.setdefault(item.phase, []).append(item)
        return tuple((phase, tuple(items)) for phase, items in phases.items())


@dataclass(frozen=True, eq=False, repr=False)
class RunItem(Record):
    """The engine's answer: run this item next."""

    item: PlanItem


@dataclass(frozen=True, eq=False, repr=False)
class Finish(Record):
    """The engine's answer: the run is over, by this event, for this reason."""

    event: Event
    reason: str


def decide(plan: Plan, outcomes: Mapping[str, Outcome]) -> RunItem | Finish:
    """Say what the run does next, given the outcomes recorded so far."""
    phases = [phase for phase, _ in plan.forward]
    failed_at: PlanItem | None = None
    for phase, items in plan.forward:
        for item in items:
            outcome = outcomes.get(item.key)
            if outcome is None:
                return RunItem(item)
            if outcome is Outcome.ABORTED:
                return Finish(Event.FAIL, f"aborted at {_name(item)}; nothing after it ran")
            if outcome is Outcome.FAILED and not phase.checks:
                failed_at = item
                break
        if failed_at is None and phase.checks:
            failed = [i for i in items if outcomes[i.key] is Outcome.FAILED]
            if failed and phase is Phase.PREREQUISITES:
                names = ", ".join(_name(i) for i in failed)
                return Finish(Event.FAIL, f"{names} failed; no step ran")
            if failed and phase is Phase.VALIDATION:
                failed_at = failed[0]
            elif failed and phase is Phase.DIAGNOSIS and Phase.RESOLUTION not in phases:
                names = ", ".join(_name(i) for i in failed)
                return Finish(Event.FAIL, f"diagnosis found problems: {names} failed")
        if failed_at is not None:
            break
    if failed_at is None:
        return Finish(Event.SUCCEED, _succeeded(plan, outcomes))
    return _rollback(plan, outcomes, failed_at)


def _succeeded(plan: Plan, outcomes: Mapping[str, Outcome]) -> str:
    """Say how a run that succeeded went: all passed, or which failed and were let through."""
    ended = [outcomes[i.key] for _, items in plan.forward for i in items]
    count = len(ended)
    passed = ended.count(Outcome.PASSED)
    if passed == count:
        return f"all {count} item{'s' if count != 1 else ''} passed"
    others = [
        (ended.count(Outcome.IGNORED), "failed and {were} allowed to continue (continue_on_error)"),
        (ended.count(Outcome.FAILED), "failed (diagnosis went on to the resolution)"),
        (ended.count(Outcome.SKIPPED), "skipped"),
    ]
    said = [f"{n} {what.format(were='was' if n == 1 else 'were')}" for n, what in others if n]
    return f"{passed} of {count} items passed; " + ", ".join(said)


def _rollback(plan: Plan, outcomes: Mapping[str, Outcome], failed_at: PlanItem) -> Finish | RunItem:
    rollback = [i for i in plan.items if i.phase is Phase.ROLLBACK]
    if not rollback:
        return Finish(Event.FAIL, f"{_name(failed_at)} failed; no rollback is defined")
    for item in rollback:
        outcome = outcomes.get(item.key)
        if outcome is None:
            return RunItem(item)
        if outcome in (Outcome.FAILED, Outcome.ABORTED):
            return Finish(
                Event.FAIL,
                f"{_name(failed_at)} failed, and the rollback failed at {_name(item)}; "
                "the system may be half-changed",
            )
    return Finish(Event.ROLL_BACK, f"{_name(failed_at)} failed; rolled back")


def _name(item: PlanItem) -> str:
    return f'{item.label} "{item.step.text}"'


def passed(expect: str | None, exit_code: int | None, stdout: str) -> bool:
    """Judge a finished command: exit 0, or the exit code / stdout regex `expect` names."""
    if expect is None or expect == "":
        return exit_code == 0
    if re.fullmatch(r"-?\d+", expect.strip()):
        return exit_code == int(expect)
    return re.search(expect, stdout, re.MULTILINE) is not None
