"""SessionShell against a real bash: one session per run, steps killed without the rest."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psutil
import pytest

from opsbook.procedures.executors.local import LocalExecutor
from opsbook.procedures.executors.protocol import CommandResult, CommandSpec
from opsbook.procedures.executors.session_shell import SessionShell, local_executor
from opsbook.procedures.loop_free import run_loop_free
from opsbook.runbook.loader import load_runbook
from opsbook.runbook.problems import RunbookError
from tests.procedures.test_local import gone, wait_gone

RunAll = Callable[[Sequence[CommandSpec]], list[CommandResult]]


@pytest.fixture(params=["in-loop", "blocking"])
def run_all(request: pytest.FixtureRequest) -> RunAll:
    """Run specs one after the other in one session: on an event loop, or without one."""
    blocking = request.param == "blocking"

    async def go(specs: Sequence[CommandSpec]) -> list[CommandResult]:
        shell = SessionShell(blocking=blocking)
        try:
            return [await shell.run(spec) for spec in specs]
        finally:
            await shell.close()

    def run(specs: Sequence[CommandSpec]) -> list[CommandResult]:
        return run_loop_free(go(specs)) if blocking else asyncio.run(go(specs))

    return run


@pytest.mark.process
def test_variables_and_functions_carry_over_but_each_step_starts_in_its_cwd(
    tmp_path: Path, run_all: RunAll
) -> None:
    (tmp_path / "a").mkdir()
    first, second = run_all(
        [
            CommandSpec("COLOR=blue; greet() { echo hello; }; cd /", cwd=str(tmp_path / "a")),
            CommandSpec('echo "$COLOR"; greet; pwd', cwd=str(tmp_path)),
        ]
    )
    assert first.ok
    assert second.stdout == f"blue\nhello\n{tmp_path}\n"


@pytest.mark.process
def test_parameter_values_are_data_not_shell_text(tmp_path: Path, run_all: RunAll) -> None:
    marker = tmp_path / "pwned"
    value = f"$(touch {marker}); rm -rf {tmp_path}"
    [result] = run_all([CommandSpec('printf "%s" "$VERSION"', env={"VERSION": value})])
    assert result.ok and result.stdout == value
    assert not marker.exists() and tmp_path.exists()


def test_a_bad_variable_name_is_refused_before_anything_runs(
    tmp_path: Path, run_all: RunAll
) -> None:
    marker = tmp_path / "ran"
    [result] = run_all([CommandSpec(f"touch {marker}", env={"a[$(id)]": "x"})])
    assert result.error and "not a variable name" in result.error
    assert not marker.exists()


@pytest.mark.process
def test_timeout_kills_the_step_and_its_tree_but_not_an_earlier_daemon(
    tmp_path: Path, run_all: RunAll
) -> None:
    daemon_pid, child_pid = tmp_path / "daemon.pid", tmp_path / "child.pid"
    started = time.monotonic()
    daemon, timed, after = run_all(
        [
            CommandSpec(f"sleep 300 & echo $! > {daemon_pid}"),
            CommandSpec(f"sleep 300 & echo $! > {child_pid}; sleep 200; touch x", timeout=0.5),
            CommandSpec("echo still here", cwd=str(tmp_path)),
        ]
    )
    assert daemon.ok and after.stdout == "still here\n"
    assert timed.timed_out and "process tree was killed" in (timed.error or "")
    assert time.monotonic() - started < 5
    assert wait_gone(int(child_pid.read_text()))
    kept = int(daemon_pid.read_text())
    assert not gone(kept)
    psutil.Process(kept).kill()


@pytest.mark.process
def test_a_busy_loop_inside_the_shell_times_out_and_the_next_step_gets_a_new_shell(
    run_all: RunAll,
) -> None:
    set_var, loop, after = run_all(
        [
            CommandSpec("KEPT=1"),
            CommandSpec("while :; do :; done", timeout=0.3),
            CommandSpec('echo "${KEPT-gone}"'),
        ]
    )
    assert set_var.ok and loop.timed_out
    assert after.ok and after.stdout == "gone\n"


@pytest.mark.process
def test_exit_ends_the_step_with_its_status_and_the_session_goes_on(run_all: RunAll) -> None:
    exited, after = run_all([CommandSpec("echo bye; exit 3"), CommandSpec("echo next")])
    assert exited.exit_code == 3 and exited.stdout == "bye\n"
    assert after.ok and after.stdout == "next\n"


@pytest.mark.process
def test_a_step_reading_stdin_gets_nothing_and_the_next_request_arrives_whole(
    run_all: RunAll,
) -> None:
    reader, after = run_all([CommandSpec("cat; echo read-done"), CommandSpec("echo next")])
    assert reader.ok and reader.stdout == "read-done\n"
    assert after.ok and after.stdout == "next\n"


@pytest.mark.process
def test_exit_after_an_earlier_daemon_still_ends_the_step(tmp_path: Path, run_all: RunAll) -> None:
    # The daemon inherits the shell's descriptors; the step must not wait for it.
    pidfile = tmp_path / "daemon.pid"
    started = time.monotonic()
    _, exited, after = run_all(
        [
            CommandSpec(f"sleep 300 & echo $! > {pidfile}"),
            CommandSpec("exit 3"),
            CommandSpec("echo on"),
        ]
    )
    assert exited.exit_code == 3 and after.stdout == "on\n"
    assert time.monotonic() - started < 5
    psutil.Process(int(pidfile.read_text())).kill()


@pytest.mark.process
def test_shell_options_do_not_leak_into_the_next_step(run_all: RunAll) -> None:
    strict, relaxed = run_all(
        [CommandSpec("set -euo pipefail; true"), CommandSpec('false; echo "${UNSET-}" went on')]
    )
    assert strict.ok
    assert relaxed.ok and relaxed.stdout == " went on\n"


@pytest.mark.process
def test_cancelled_step_kills_its_process_tree(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"

    async def go() -> None:
        shell = SessionShell()
        task = asyncio.ensure_future(
            shell.run(CommandSpec(f"sleep 300 & echo $! > {pidfile}; wait"))
        )
        while not pidfile.exists() or not pidfile.read_text().strip():
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await shell.close()

    asyncio.run(go())
    assert wait_gone(int(pidfile.read_text()))


@pytest.mark.process
def test_ctrl_c_in_a_blocking_session_kills_the_step_tree_and_goes_on_up(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    shell = SessionShell(blocking=True)
    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_loop_free(shell.run(CommandSpec(f"sleep 300 & echo $! > {pidfile}; wait")))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        run_loop_free(shell.close())
    assert wait_gone(int(pidfile.read_text()))


@pytest.mark.process
def test_output_is_bounded_and_stderr_kept_apart(run_all: RunAll) -> None:
    [result] = run_all(
        [
            CommandSpec(
                "echo START; head -c 200000 /dev/zero | tr '\\0' x; echo; echo END; echo oops >&2",
                output_limit=1000,
            )
        ]
    )
    assert result.ok and result.stderr == "oops\n"
    assert result.stdout.startswith("START") and result.stdout.rstrip().endswith("END")
    assert "bytes dropped" in result.stdout and len(result.stdout) < 1200


@pytest.mark.process
def test_missing_directory_is_an_error_and_the_session_goes_on(
    tmp_path: Path, run_all: RunAll
) -> None:
    missing, after = run_all(
        [CommandSpec("true", cwd=str(tmp_path / "no")), CommandSpec("echo ok")]
    )
    assert missing.exit_code is None and "cannot start" in (missing.error or "")
    assert after.stdout == "ok\n"


@pytest.mark.process
def test_close_removes_the_output_files_and_an_unused_shell_leaves_none() -> None:
    async def go() -> Path | None:
        shell = SessionShell()
        await shell.run(CommandSpec("echo hi"))
        used = shell.workdir
        assert used is not None and used.exists()
        await shell.close()
        return used

    used = asyncio.run(go())
    assert used is not None and not used.exists()
    assert SessionShell().workdir is None


RUNBOOK = "---\nshell: {mode}\n---\n# Shells\n"


def test_front_matter_picks_a_bash_per_step_or_a_session(tmp_path: Path) -> None:
    path = tmp_path / "RUNBOOK.md"
    path.write_text(RUNBOOK.format(mode="per-step"))
    assert isinstance(local_executor(load_runbook(path).settings), LocalExecutor)
    path.write_text(RUNBOOK.format(mode="session"))
    assert isinstance(local_executor(load_runbook(path).settings), SessionShell)


def test_an_unknown_shell_mode_names_the_line_and_the_choices(tmp_path: Path) -> None:
    path = tmp_path / "RUNBOOK.md"
    path.write_text(RUNBOOK.format(mode="zsh"))
    with pytest.raises(RunbookError) as caught:
        load_runbook(path)
    text = str(caught.value)
    assert "shell: zsh" in text and "per-step" in text and ":1" in text
