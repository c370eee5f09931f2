"""One try of a step on some hosts, recorded and reported host by host as each host ends.

The fan-out calls `HostRound.finished` (its `on_result`) as each host ends, so a run killed
mid-fan-out keeps the attempts of the hosts that finished, and the person watching sees
the counts move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from opsbook.procedures.engine import Outcome, PlanItem, passed
from opsbook.procedures.executors.protocol import CommandResult
from opsbook.procedures.rollout import within

# RunLog.attempt_finished and Reporter.host_finished (runner.py), passed in as they are.
RecordEnd = Callable[[int, str, CommandResult | None, tuple[PlanItem, Outcome] | None], None]
TellEnd = Callable[[PlanItem, str, CommandResult, bool], None]

# The status of a host's attempt in a batch that never started (batch=, max_fail=).
NOT_RUN = "not-run"


def attempt_status(ok: bool, result: CommandResult) -> str:
    """Name an attempt's end for the record: passed, failed, timed-out or error."""
    if ok:
        return "passed"
    if result.timed_out:
        return "timed-out"
    return "error" if result.error else "failed"


def outcome_of(ok: bool, continue_on_error: bool) -> Outcome:
    """Return a step's outcome: passed, or failed (ignored under continue_on_error)."""
    if ok:
        return Outcome.PASSED
    return Outcome.IGNORED if continue_on_error else Outcome.FAILED


@dataclass
class HostRound:
    """One try of a step on some hosts; `failed` holds the hosts that failed it."""

    record: RecordEnd
    tell: TellEnd
    mask: Callable[[CommandResult], CommandResult]
    # Steps whose outcome went to the log with their last attempt (the runner's set).
    recorded: set[str]
    item: PlanItem
    allowed: int  # how many of the step's hosts may fail (max_fail=)
    ids: dict[str, int]  # attempt ids of the hosts not yet ended
    last: bool  # no retry follows this try
    results: dict[str, CommandResult]  # the step's results by host, filled in as hosts end
    failed: dict[str, CommandResult] = field(default_factory=dict)

    def finished(self, host: str, got: CommandResult) -> None:
        """Record and report one host's result (the fan-out's `on_result`)."""
        if host not in self.ids:
            return
        item, attrs = self.item, self.item.step.attrs
        result = self.mask(got)
        ok = (
            result.error is None
            and not result.timed_out
            and passed(attrs.expect, result.exit_code, result.stdout)
        )
        decided = None
        if len(item.hosts) == 1 and (ok or self.last):
            # A step on one host records its outcome with its last attempt, in one write.
            step_ok = within(0 if ok else 1, self.allowed)
            decided = (item, outcome_of(step_ok, attrs.continue_on_error))
            self.recorded.add(item.key)
        self.record(self.ids.pop(host), attempt_status(ok, result), result, decided)
        self.results[host] = result
        if not ok:
            self.failed[host] = result
        self.tell(item, host, result, ok)
