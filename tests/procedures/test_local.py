"""LocalExecutor against real child processes."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import psutil
import pytest

from opsbook.procedures.executors.local import LocalExecutor
from opsbook.procedures.executors.protocol import CommandSpec

pytestmark = pytest.mark.process


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if gone(pid):
            return True
        time.sleep(0.05)
    return False


def test_timeout_kills_the_whole_process_tree(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    spec = CommandSpec(f"sleep 300 & echo $! > {pidfile}; wait", timeout=0.5)
    result = asyncio.run(LocalExecutor().run(spec))
    assert result.timed_out and not result.ok and "timed out" in (result.error or "")
    assert wait_gone(int(pidfile.read_text()))


def test_cancelled_command_kills_its_process_tree(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"

    async def go() -> None:
        task = asyncio.ensure_future(
            LocalExecutor().run(CommandSpec(f"sleep 300 & echo $! > {pidfile}; wait"))
        )
        while not pidfile.exists() or not pidfile.read_text().strip():
            await asyncio.sleep(0.02)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(go())
    assert wait_gone(int(pidfile.read_text()))


def test_output_is_bounded_keeping_head_and_tail() -> None:
    spec = CommandSpec(
        "echo START; head -c 200000 /dev/zero | tr '\\0' x; echo; echo END", output_limit=1000
    )
    result = asyncio.run(LocalExecutor().run(spec))
    assert result.ok
    assert result.stdout.startswith("START") and result.stdout.rstrip().endswith("END")
    assert "bytes dropped" in result.stdout and len(result.stdout) < 1200


def test_environment_cwd_exit_code_and_stderr_reach_the_result(tmp_path: Path) -> None:
    spec = CommandSpec(
        'echo "$GREETING from $(pwd)"; echo oops >&2; exit 4',
        env={"GREETING": "hi"},
        cwd=str(tmp_path),
    )
    result = asyncio.run(LocalExecutor().run(spec))
    assert result.exit_code == 4 and result.stderr == "oops\n"
    assert result.stdout == f"hi from {tmp_path}\n"


def test_background_daemon_does_not_hold_the_step(tmp_path: Path) -> None:
    pidfile = tmp_path / "daemon.pid"
    started = time.monotonic()
    result = asyncio.run(LocalExecutor().run(CommandSpec(f"sleep 30 & echo $! > {pidfile}")))
    assert result.ok and time.monotonic() - started < 5
    daemon = int(pidfile.read_text())
    assert not gone(daemon)
    psutil.Process(daemon).kill()


def test_missing_directory_is_an_error_not_a_crash(tmp_path: Path) -> None:
    result = asyncio.run(LocalExecutor().run(CommandSpec("true", cwd=str(tmp_path / "no"))))
    assert result.exit_code is None and "cannot start" in (result.error or "")
