"""A run at the terminal: drive it with a live view of its steps, then say how it ended.

`opsbook run` and `opsbook resume` (cli/run.py) plan or reload a run and hand it here.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, NoReturn

from opsbook.cli.heap import collect_again
from opsbook.cli.output import EXIT_FAILED, console, print_json

if TYPE_CHECKING:
    from opsbook.procedures.confirm import Confirmer
    from opsbook.procedures.drive import Me, RunEnd, RunStore
    from opsbook.procedures.engine import Plan
    from opsbook.procedures.views import RunDetailView
    from opsbook.runbook.model import Runbook

EXIT_INTERRUPTED = 130


def _confirmer(yes: bool, user: str, *, in_thread: bool = True) -> Confirmer:
    # lazy: keeps procedures.confirm off the start-up of `opsbook --help`
    from opsbook.procedures.confirm import AutoConfirmer, NobodyConfirmer, TerminalConfirmer

    terminal: Confirmer | None = None
    if sys.stdin.isatty():
        # lazy: keeps rich off the start-up of a plain `opsbook run`
        from rich.markup import escape

        terminal = TerminalConfirmer(
            user,
            lambda q: console(stderr=True).input(f"[bold]{escape(q)}[/]"),
            in_thread=in_thread,
        )
    if yes:
        # --yes answers the runbook's confirmations; the steps kept for a person still ask.
        return AutoConfirmer(user, then=terminal)
    return terminal or NobodyConfirmer()


def drive_run(
    store: RunStore,
    plan: Plan,
    runbook: Runbook,
    run_id: int,
    who: Me,
    yes: bool,
    as_json: bool,
    resumed: bool,
    **state: Any,
) -> RunEnd:
    """Drive the run with its steps shown as they go; Ctrl-C or SIGTERM stops it (exit 130)."""
    # lazy: off the start-up of `opsbook --help`: cli.lines, cli.run_view, procedures.drive, ...
    from opsbook.cli.lines import Lines
    from opsbook.cli.run_view import StepView
    from opsbook.procedures.drive import drive
    from opsbook.procedures.executors.session_shell import local_executor
    from opsbook.procedures.executors.ssh_hosts import SshHosts
    from opsbook.procedures.loop_free import (
        all_here,
        blocking_sleep,
        needs_no_loop,
        run_loop_free,
    )
    from opsbook.procedures.runner import QuietReporter, loop_sleep

    out = Lines()
    # With --json nothing shows as the run goes: its whole record is printed at the end.
    view = None if as_json else StepView(out, plan)
    if not as_json:
        verb = "Resumed" if resumed else "Run"
        out.print(
            (f"{verb} {run_id}", "bold"),
            (f": {plan.title} ", ""),
            (f"({_shown(plan.runbook_path)}, by {who.user})", "dim"),
        )
        out.print((plan_summary(plan), "dim"))
    # A run with every step here needs no event loop (procedures/loop_free.py): it blocks
    # on its shell, and SIGTERM stops it as Ctrl-C does.
    local = local_executor(runbook.settings, blocking=all_here(plan))
    loop_free = needs_no_loop(plan, local)
    running = drive(
        store=store,
        plan=plan,
        run_id=run_id,
        confirmer=_confirmer(yes, who.user, in_thread=not loop_free),
        reporter=QuietReporter() if view is None else view,
        local=local,
        remote=SshHosts(runbook, plan=plan),
        sleep=blocking_sleep if loop_free else loop_sleep,
        **state,
    )
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler) if loop_free else None
    collect_again()
    try:
        return run_loop_free(running) if loop_free else _on_event_loop(running)
    except KeyboardInterrupt:
        if view is not None:
            view.close()
        console(stderr=True).print(
            f"Run {run_id} interrupted; its running step was stopped. "
            f"Continue with: opsbook resume {run_id}"
        )
        raise SystemExit(EXIT_INTERRUPTED) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _on_event_loop(running: Coroutine[Any, Any, RunEnd]) -> RunEnd:
    """Run the drive on an event loop, SIGTERM cancelling it; a stop is KeyboardInterrupt."""
    # lazy: keeps asyncio off the start-up of `opsbook --help`
    import asyncio

    async def main() -> RunEnd:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await running

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None


def finish_run(show: Callable[[int], RunDetailView | None], end: RunEnd, as_json: bool) -> NoReturn:
    """Print how the run ended (with --json: its whole record, read by `show`); exit."""
    # lazy: keeps procedures.engine off the start-up of `opsbook --help`
    from opsbook.procedures.engine import RunStatus

    code = 0 if end.status is RunStatus.SUCCEEDED else EXIT_FAILED
    if as_json:
        # lazy: keeps procedures.views off the start-up of `opsbook --help`
        from opsbook.procedures.views import json_ready

        run = show(end.run_id)
        print_json(None if run is None else json_ready(run))
        raise SystemExit(code)
    # lazy: keeps cli.lines off the start-up of `opsbook --help`
    from opsbook.cli.lines import Lines

    out = Lines()
    reason = end.reason
    if end.status is RunStatus.SUCCEEDED:
        out.print((f"Run {end.run_id} succeeded", "bold green"), (f": {reason}", ""))
    elif end.status is RunStatus.ROLLED_BACK:
        out.print((f"Run {end.run_id} failed and was rolled back", "bold red"), (f": {reason}", ""))
    elif end.status is RunStatus.WAITING:
        out.print((f"Run {end.run_id} is waiting", "bold yellow"), (f": {reason}.", ""))
        out.print(
            (
                f"  Nobody can answer here. Continue with: opsbook resume {end.run_id} "
                "(on a terminal; --yes answers only the runbook's own confirmations)",
                "",
            )
        )
    else:
        out.print((f"Run {end.run_id} failed", "bold red"), (f" (not rolled back): {reason}", ""))
    raise SystemExit(code)


def plan_summary(plan: Plan) -> str:
    """Say what the run holds: `Plan: 3 prerequisites, 3 steps, 3 validation, rollback 5`."""
    counts: dict[str, int] = {}
    for item in plan.items:
        counts[str(item.phase)] = counts.get(str(item.phase), 0) + 1
    nouns = {
        "prerequisites": "prerequisite",
        "validation": "validation check",
        "diagnosis": "diagnosis step",
        "resolution": "resolution step",
    }
    parts = [
        f"{n} {nouns.get(phase, 'step')}{'s' if n != 1 else ''}"
        for phase, n in counts.items()
        if phase != "rollback"
    ]
    if "rollback" in counts:
        source = next((i.source for i in plan.items if i.source), "")
        parts.append(
            f"rollback: {counts['rollback']}" + (f" (the {source} procedure)" if source else "")
        )
    manual = sum(1 for i in plan.items if i.needs_person)
    if manual:
        parts.append(f"{manual} for a person")
    return "Plan: " + ", ".join(parts)


def _shown(path: str) -> str:
    """Return the runbook's path relative to here when it is below here."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
