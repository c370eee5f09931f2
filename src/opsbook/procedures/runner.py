"""The async driver: asks the engine what is next, runs it, records it, repeats.

Commands go to the local executor or, for `host=`, to the remote host runner (SSH fan-out).
Every attempt is recorded as it starts and as it ends, through `RunLog`; what the person
sees goes through `Reporter`. Secret values are masked before either sees any output.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from typing import Protocol

from opsbook.procedures.confirm import Confirmation, Confirmer, Decision
from opsbook.procedures.engine import Finish, Outcome, Plan, PlanItem, RunItem, decide
from opsbook.procedures.executors.protocol import CommandResult, CommandSpec, Executor
from opsbook.procedures.host_round import NOT_RUN, HostRound, outcome_of
from opsbook.procedures.rollout import Rollout, rollout_of, tally, within
from opsbook.procedures.secrets import Masker
from opsbook.runbook.record import Record
from opsbook.runbook.shell_words import logical_lines

DEFAULT_PARALLEL = 10


class RunLog(Protocol):
    """Where a run writes its audit trail; every call is durable when it returns."""

    def attempt_started(self, item: PlanItem, host: str, attempt: int) -> int: ...

    def attempt_finished(
        self,
        attempt_id: int,
        status: str,
        result: CommandResult | None,
        step: tuple[PlanItem, Outcome] | None = None,
    ) -> None:
        """Record an attempt's end (and, when it decides the step, the step's outcome)."""
        ...

    def step_finished(self, item: PlanItem, outcome: Outcome) -> None: ...

    def decided(self, item: PlanItem) -> Confirmation | None: ...

    def confirmation(self, item: PlanItem, answer: Confirmation) -> None: ...


class Reporter(Protocol):
    """What the person watching sees."""

    def step_started(self, item: PlanItem) -> None: ...

    def retrying(
        self, item: PlanItem, attempt: int, failed: Mapping[str, CommandResult]
    ) -> None: ...

    def host_finished(self, item: PlanItem, host: str, result: CommandResult, ok: bool) -> None:
        """Tell of one host's attempt as it ends (`ok`: it passed the step's `expect`)."""
        ...

    def step_finished(
        self, item: PlanItem, outcome: Outcome, results: Mapping[str, CommandResult], note: str
    ) -> None: ...

    def asking(self) -> AbstractContextManager[None]: ...


class QuietReporter:
    """Reports nothing as the run goes: whoever started it reads the run's record instead."""

    def step_started(self, item: PlanItem) -> None:
        return None

    def retrying(self, item: PlanItem, attempt: int, failed: Mapping[str, CommandResult]) -> None:
        return None

    def host_finished(self, item: PlanItem, host: str, result: CommandResult, ok: bool) -> None:
        return None

    def step_finished(
        self, item: PlanItem, outcome: Outcome, results: Mapping[str, CommandResult], note: str
    ) -> None:
        return None

    @contextmanager
    def asking(self) -> Iterator[None]:
        yield


class HostRunner(Protocol):
    """Runs one command on several named hosts with a concurrency limit."""

    async def run(
        self,
        hosts: Sequence[str],
        spec: CommandSpec,
        limit: int,
        on_result: Callable[[str, CommandResult], None] | None = None,
    ) -> dict[str, CommandResult]:
        """Run on every host; tell `on_result` of each host's result as it comes."""
        ...

    async def close(self) -> None: ...


async def loop_sleep(seconds: float) -> None:
    """Sleep on the event loop (asyncio is imported only by runs that have one)."""
    # lazy: keeps asyncio off the start-up of a plain `opsbook run`
    import asyncio

    await asyncio.sleep(seconds)


@dataclass(frozen=True, eq=False, repr=False)
class Waiting(Record):
    """The run stopped at a step that waits for a person."""

    item: PlanItem


@dataclass
class Runner:
    """Runs one run's plan item by item, recording and reporting every attempt."""

    plan: Plan
    run_id: int
    log: RunLog
    reporter: Reporter
    confirmer: Confirmer
    local: Executor
    remote: HostRunner
    masker: Masker
    # The delay between retries; loop_free.blocking_sleep when there is no event loop.
    sleep: Callable[[float], Awaitable[None]] = loop_sleep
    # Hosts that already passed a step in an earlier process (resume of a fan-out step).
    passed_hosts: dict[str, set[str]] = field(default_factory=dict)
    # Steps whose outcome went to the log with their last attempt, in one write.
    recorded: set[str] = field(default_factory=set)
    # The last attempt number an earlier process recorded for a step (resume): a step that
    # runs again goes on counting, so an interrupted attempt and its rerun differ.
    attempts_before: dict[str, int] = field(default_factory=dict)

    async def run(self, outcomes: dict[str, Outcome]) -> Finish | Waiting:
        """Run items until the engine says the run is finished or a person must answer."""
        while True:
            nxt = decide(self.plan, outcomes)
            if not isinstance(nxt, RunItem):
                return nxt
            item = nxt.item
            outcome = await self.run_item(item)
            if outcome is None:
                return Waiting(item)
            outcomes[item.key] = outcome
            if item.key not in self.recorded:
                self.log.step_finished(item, outcome)

    async def run_item(self, item: PlanItem) -> Outcome | None:
        """Run one item; None when it waits for a person."""
        self.reporter.step_started(item)
        if not item.hosts:
            self.reporter.step_finished(item, Outcome.SKIPPED, {}, "none of its hosts is in --host")
            return Outcome.SKIPPED
        if item.needs_person:
            answer = self.log.decided(item)
            if answer is None and item.step.attrs.approvals:
                # Approvals come from other operators, through the dashboard; neither the
                # person at this terminal nor --yes may give them.
                answer = Confirmation(Decision.WAITING)
            elif answer is None:
                with self.reporter.asking():
                    answer = await self.confirmer.confirm(item)
            if answer.via == "yes" and not item.decision.yes_answers:
                # --yes answers only the runbook's own confirmations, never a step that
                # opsbook keeps for a person (it changes things, leaves, depends, never ends).
                answer = Confirmation(Decision.WAITING)
            self.log.confirmation(item, answer)
            if answer.decision is Decision.WAITING:
                return None
            if (
                answer.decision is not Decision.CONFIRMED
                or item.command is None
                or not item.decision.runs_here
            ):
                return self._answered(item, answer)
        return await self._execute(item)

    def _answered(self, item: PlanItem, answer: Confirmation) -> Outcome:
        outcome = {
            Decision.CONFIRMED: Outcome.PASSED,
            Decision.SKIPPED: Outcome.SKIPPED,
            Decision.ABORTED: Outcome.ABORTED,
        }[answer.decision]
        number = self.attempts_before.get(item.key, 0) + 1
        attempt = self.log.attempt_started(item, "person", number)
        self.log.attempt_finished(attempt, str(answer.decision), None)
        self.reporter.step_finished(item, outcome, {}, answer.said)
        return outcome

    async def _execute(self, item: PlanItem) -> Outcome:
        attrs = item.step.attrs
        assert item.command is not None
        spec = CommandSpec(
            command=fail_fast(item.command),
            env={**self.plan.env, "OPSBOOK_RUN_ID": str(self.run_id), "OPSBOOK_STEP": item.key},
            cwd=item.cwd,
            timeout=item.timeout if item.timeout is not None else attrs.timeout,
            secrets=self.masker.values,
        )
        done = self.passed_hosts.get(item.key, set())
        rollout = rollout_of(item.hosts, attrs)
        results: dict[str, CommandResult] = {}
        failed: set[str] = set()
        not_run: list[str] = []
        for batch in rollout.batches:
            pending = [h for h in batch if h not in done]
            if not within(len(failed), rollout.allowed):
                # The batches after the first one over the allowance never start.
                not_run += pending
            elif pending:
                failed |= await self._attempts(item, pending, spec, rollout, results)
        self._not_run(item, not_run)
        outcome = outcome_of(within(len(failed), rollout.allowed), attrs.continue_on_error)
        notes = [tally(rollout, len(failed), len(not_run)) if len(item.hosts) > 1 else ""]
        if outcome is Outcome.IGNORED:
            notes.append("continue_on_error: going on")
        self.reporter.step_finished(item, outcome, results, "; ".join(n for n in notes if n))
        return outcome

    async def _attempts(
        self,
        item: PlanItem,
        hosts: list[str],
        spec: CommandSpec,
        rollout: Rollout,
        results: dict[str, CommandResult],
    ) -> set[str]:
        """Run one batch of hosts, retrying the failed ones; return the hosts that failed."""
        attrs = item.step.attrs
        before = self.attempts_before.get(item.key, 0)
        pending = hosts
        for attempt in range(1, attrs.retries + 2):
            ids = {host: self.log.attempt_started(item, host, before + attempt) for host in pending}
            last = attempt > attrs.retries
            round_ = HostRound(
                self.log.attempt_finished,
                self.reporter.host_finished,
                self._masked,
                self.recorded,
                item,
                rollout.allowed,
                ids,
                last,
                results,
            )
            got = await self._on_hosts(item, pending, spec, round_.finished)
            for host in list(ids):
                # A host the fan-out gave no word of, as it ended, is recorded now.
                round_.finished(host, got.get(host) or CommandResult(None, error="no result"))
            pending = list(round_.failed)
            if not pending:
                break
            if not last:
                self.reporter.retrying(item, attempt, round_.failed)
                await self.sleep(attrs.delay)
        return set(pending)

    def _not_run(self, item: PlanItem, hosts: list[str]) -> None:
        number = self.attempts_before.get(item.key, 0) + 1
        for host in hosts:
            self.log.attempt_finished(self.log.attempt_started(item, host, number), NOT_RUN, None)

    async def _on_hosts(
        self,
        item: PlanItem,
        hosts: list[str],
        spec: CommandSpec,
        on_result: Callable[[str, CommandResult], None],
    ) -> dict[str, CommandResult]:
        if item.local:
            result = await self.local.run(spec)
            on_result(item.hosts[0], result)
            return {item.hosts[0]: result}
        limit = item.step.attrs.parallel or DEFAULT_PARALLEL
        return await self.remote.run(hosts, spec, limit, on_result)

    def _masked(self, result: CommandResult) -> CommandResult:
        mask = self.masker.mask
        error = mask(result.error) if result.error else None
        return replace(result, stdout=mask(result.stdout), stderr=mask(result.stderr), error=error)


def fail_fast(command: str) -> str:
    """Return a block of several commands so that it fails when any of them fails.

    A person stops at the first command of a block that fails; a shell running the lines
    as a script goes on, and the block would pass on its last command alone. (The session
    shell resets its options before each step, so `set -e` ends with the step.)
    """
    if len(logical_lines(command)) < 2:
        return command
    return "set -e\n" + command
