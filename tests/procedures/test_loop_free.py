"""run_loop_free: a coroutine whose awaits complete at once runs without an event loop."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Generator
from pathlib import Path

import pytest

from opsbook.procedures.engine import Phase, Plan, PlanItem
from opsbook.procedures.executors.local import LocalExecutor
from opsbook.procedures.executors.session_shell import SessionShell
from opsbook.procedures.loop_free import (
    NeedsEventLoop,
    all_here,
    blocking_sleep,
    needs_no_loop,
    run_loop_free,
)
from opsbook.runbook.model import Step
from tests.procedures.cli_support import main_in_new_process, recorded_runbook


def test_a_coroutine_that_never_waits_on_a_loop_returns_its_value() -> None:
    async def inner() -> int:
        await blocking_sleep(0.05)
        return 41

    async def outer() -> int:
        return await inner() + 1

    started = time.monotonic()
    assert run_loop_free(outer()) == 42
    assert time.monotonic() - started >= 0.05


def test_a_coroutine_that_waits_on_a_loop_is_refused_and_closed() -> None:
    closed = []

    class Pending:
        """What a future does when awaited: yield to the loop until it is done."""

        def __await__(self) -> Generator[str, None, None]:
            yield "a future"

    async def needs_loop() -> None:
        try:
            await Pending()
        finally:
            closed.append(True)

    with pytest.raises(NeedsEventLoop):
        run_loop_free(needs_loop())
    assert closed == [True]


@pytest.mark.process
def test_importing_it_does_not_load_asyncio() -> None:
    code = "import sys, opsbook.procedures.loop_free; print('asyncio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def plan_on(*hosts: tuple[str, ...]) -> Plan:
    step = Step(text="step", command="true")
    items = tuple(
        PlanItem(f"s{n}", Phase.STEPS, n, len(hosts), step, "true", on)
        for n, on in enumerate(hosts, start=1)
    )
    return Plan("t", "T", "procedure", "RUNBOOK.md", items)


def test_only_a_plan_all_here_in_a_session_shell_goes_without_a_loop() -> None:
    here, fanned = plan_on(("local",), ()), plan_on(("local",), ("web1", "web2"))
    assert all_here(here) and not all_here(fanned)
    assert needs_no_loop(here, SessionShell(blocking=True))
    assert not needs_no_loop(fanned, SessionShell(blocking=True))
    assert not needs_no_loop(here, SessionShell())
    assert not needs_no_loop(here, LocalExecutor())  # shell: per-step, or no bash at all


@pytest.mark.process
def test_a_run_with_every_step_here_never_loads_asyncio(tmp_path: Path) -> None:
    book, env = recorded_runbook(
        tmp_path,
        "### Hello Procedure\n\n**Steps**:\n1. Greet: `echo hi > out.txt`\n"
        "2. Check: `grep -q hi out.txt`\n",
        "hello",
    )
    status, modules, out = main_in_new_process(["run", str(book), "hello"], env)
    assert status == 0 and "asyncio" not in modules, out
    assert "Run 2 succeeded: all 2 items passed" in out
