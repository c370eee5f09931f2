"""Drive a recorded run to its end, on any store of runs: the loop without the database.

`service.execute_run` drives runs on the SQLAlchemy database; `opsbook run` on a local
SQLite file drives them on the light store (`stores/light.py`), which needs no SQLAlchemy import
(a large share of a run's start-up; docs/benchmarks.md). Both go through this one function.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from opsbook.procedures.confirm import Confirmer
from opsbook.procedures.engine import Event, Finish, Outcome, Plan, PlanItem, RunStatus
from opsbook.procedures.executors.process_start import process_started
from opsbook.procedures.executors.protocol import Executor
from opsbook.procedures.plan import masker_for
from opsbook.procedures.runner import HostRunner, Reporter, RunLog, Runner, Waiting, loop_sleep
from opsbook.procedures.secrets import Masker
from opsbook.runbook.record import Record

Clock = Callable[[], datetime]


@dataclass(frozen=True, eq=False, repr=False)
class Me(Record):
    """The process driving a run: who started it, and how to tell later that it died."""

    user: str
    machine: str
    pid: int
    process_started: float


def this_process(user: str) -> Me:
    """Describe this process as the driver of a run started by `user`.

    The machine as `socket.gethostname()` says it and the start time as psutil says it,
    without importing either: the CLI builds this before every run (docs/benchmarks.md).
    """
    pid = os.getpid()
    return Me(user, os.uname().nodename, pid, process_started(pid))


@dataclass(frozen=True, eq=False, repr=False)
class RunEnd(Record):
    """How a drive ended: the run's status, why, and the step it waits at if any."""

    run_id: int
    status: RunStatus
    reason: str
    waiting: PlanItem | None = None


class RunStore(Protocol):
    """Where a run's record lives; every call is one committed transaction.

    The one contract of the stores of runs: the light store (`stores/light.py`, sqlite3)
    and the SQLAlchemy store (`service.DatabaseRunStore`, SQLite or PostgreSQL) keep it,
    and tests/procedures/stores/test_contract.py checks each against it, reading what
    they wrote back through the one reader (`stores/reader.py`).
    """

    def start_run(self, plan: Plan, me: Me) -> int:
        """Record a new run (status running, secret parameters masked); return its id."""
        ...

    def journal(self, run_id: int, masker: Masker) -> RunLog:
        """Return the log the runner writes attempts, outcomes and confirmations to."""
        ...

    def transition(
        self, run_id: int, event: Event, message: str, waiting: str | None = None
    ) -> RunStatus:
        """Apply an event to the run's status (engine.apply) and record why."""
        ...

    def interrupted(self, run_id: int, why: str) -> None:
        """Mark the run and its running attempts as interrupted."""
        ...


def _stopped(exc: BaseException) -> str | None:
    """Say why the run was stopped from outside (a cancelled task, Ctrl-C, a signal), or None.

    A task cancelled with a message (`task.cancel("aborted by omar in the browser")`) gives
    that message, so the run's record says who stopped it in the same write.
    """
    if isinstance(exc, KeyboardInterrupt):
        return "stopped by a signal"
    asyncio = sys.modules.get("asyncio")  # not loaded by a loop-free run: nothing to cancel
    if asyncio is None or not isinstance(exc, asyncio.CancelledError):
        return None
    said = exc.args[0] if exc.args and isinstance(exc.args[0], str) else ""
    return said or "stopped by a signal"


def waiting_message(item: PlanItem) -> str:
    """Say who the step waits for: a person, or N approvals from other operators."""
    needed = item.step.attrs.approvals
    who = (
        f"{needed} approval{'s' if needed != 1 else ''} from operators other than the one "
        "who started the run (approve it in the dashboard)"
        if needed
        else "a person"
    )
    # Why a step with a command waits, when opsbook decided it (--yes does not answer it).
    why = "" if item.decision.yes_answers else f" ({item.decision.why})"
    return f'{item.label} "{item.step.text}" waits for {who}{why}'


async def drive(
    *,
    store: RunStore,
    plan: Plan,
    run_id: int,
    confirmer: Confirmer,
    reporter: Reporter,
    local: Executor,
    remote: HostRunner,
    outcomes: Mapping[str, Outcome] | None = None,
    passed_hosts: Mapping[str, set[str]] | None = None,
    attempts_before: Mapping[str, int] | None = None,
    sleep: Callable[[float], Awaitable[None]] = loop_sleep,
) -> RunEnd:
    """Run the plan's items until the run finishes or waits for a person; record the end."""
    masker = masker_for(plan)
    runner = Runner(
        plan,
        run_id,
        store.journal(run_id, masker),
        reporter,
        confirmer,
        local,
        remote,
        masker,
        passed_hosts=dict(passed_hosts or {}),
        attempts_before=dict(attempts_before or {}),
        sleep=sleep,
    )
    try:
        end = await runner.run(dict(outcomes or {}))
    except BaseException as exc:
        # Whatever stops the drive, the record must not stay `running` behind it.
        error = f"stopped by an error: {type(exc).__name__}: {masker.mask(str(exc))}"
        store.interrupted(run_id, _stopped(exc) or error)
        raise
    finally:
        await local.close()
        await remote.close()
    if isinstance(end, Waiting):
        message = waiting_message(end.item)
        store.transition(run_id, Event.WAIT, message, waiting=end.item.key)
        return RunEnd(run_id, RunStatus.WAITING, message, end.item)
    assert isinstance(end, Finish)
    return RunEnd(run_id, store.transition(run_id, end.event, end.reason), end.reason)
