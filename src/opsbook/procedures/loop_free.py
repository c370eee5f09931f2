"""Drive a run's coroutine without an event loop, when nothing in it needs one.

The runner is written once, as coroutines, because SSH steps and the dashboard need an
event loop. A run whose steps are all local needs none: its session shell blocks in
`poll(2)` (`SessionShell(blocking=True)`), its confirmer asks on the terminal directly, and
its retries sleep with `time.sleep`, so every `await` in it completes at once. Such a
coroutine finishes on its first `send`, and the run is spared importing asyncio and turning
its loop for every step (figures in docs/benchmarks.md).

    end = run_loop_free(drive(..., local=local_executor(settings, blocking=True)))
"""

from __future__ import annotations

import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from opsbook.procedures.engine import LOCAL, Plan
from opsbook.procedures.executors.protocol import Executor

T = TypeVar("T")


class NeedsEventLoop(RuntimeError):
    """The coroutine waited for something only an event loop can give."""


def all_here(plan: Plan) -> bool:
    """Say whether every item of the plan runs on this machine (none over SSH)."""
    return all(item.hosts in ((), (LOCAL,)) for item in plan.items)


def needs_no_loop(plan: Plan, local: Executor) -> bool:
    """Say whether the run can go loop-free: every item here, in a blocking session shell.

    A bash per step (`shell: per-step`, or no bash to keep a session in) needs a loop.
    """
    return all_here(plan) and getattr(local, "blocking", False) is True


def run_loop_free(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine whose awaits all complete at once; return its result."""
    try:
        waited_for = coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise NeedsEventLoop(f"a loop-free run waited for {waited_for!r}")


async def blocking_sleep(seconds: float) -> None:
    """Sleep without an event loop (the delay between a loop-free run's retries)."""
    time.sleep(seconds)
