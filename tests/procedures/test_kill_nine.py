"""kill -9 of `opsbook run` mid-step: the step's processes die with it (a background job that
an earlier step started on purpose lives on), and `resume` runs the step again, from its
start, as the next attempt."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.procedures.cli_support import OPSBOOK, cli_env, opsbook, run_json

pytestmark = pytest.mark.process

BOOK = """---
shell: {shell}
---
# Test system

## Standard Operating Procedures

### Migrate Procedure

**Steps**:
1. Start the helper: `sleep 300 >/dev/null 2>&1 & echo $! > daemon.pid`
2. Transform: `echo run >> runs.txt; bash -c 'echo $$ > child.pid; sleep {seconds}; touch marker'`
3. Switch over: `echo switch >> log.txt`
"""
# Long enough that a loaded machine cannot let the step finish between the test seeing
# child.pid and its kill -9 reaching opsbook (2 s once did, under a full suite on 2 cores).
STEP_SECONDS = 5


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_for_file(path: Path, seconds: float = 30) -> int:
    deadline = time.monotonic() + seconds
    while not (path.exists() and path.read_text().strip()):
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.02)
    return int(path.read_text())


@pytest.mark.parametrize("shell", ["session", "per-step"])
def test_kill_9_mid_step_kills_the_step_and_resume_runs_it_again_as_the_next_attempt(
    tmp_path: Path, shell: str
) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(BOOK.format(shell=shell, seconds=STEP_SECONDS))
    env = cli_env(tmp_path / "state")
    proc = subprocess.Popen(
        [OPSBOOK, "run", str(book), "migrate"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    daemon = wait_for_file(tmp_path / "daemon.pid")
    try:
        child = wait_for_file(tmp_path / "child.pid")
        finished_by = time.monotonic() + STEP_SECONDS + 0.5  # when a surviving step would be done
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 5
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not alive(child), "the step's process outlived opsbook"
        time.sleep(max(0.0, finished_by - time.monotonic()))
        assert not (tmp_path / "marker").exists(), "the step went on without opsbook"
        assert alive(daemon), "a job an earlier step started on purpose was killed"

        run = run_json("runs", "show", "1", env=env)
        assert run["status"] == "interrupted"
        assert [(a["step"], a["attempt"], a["status"]) for a in run["attempts"]] == [
            ("steps:1", 1, "passed"),
            ("steps:2", 1, "interrupted"),
        ]
        done = opsbook("resume", "1", "--yes", env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert (tmp_path / "marker").exists()
        assert (tmp_path / "runs.txt").read_text() == "run\nrun\n", "step 2 ran again, whole"
        run = run_json("runs", "show", "1", env=env)
        assert run["status"] == "succeeded"
        assert [(a["step"], a["attempt"], a["status"]) for a in run["attempts"]] == [
            ("steps:1", 1, "passed"),
            ("steps:2", 1, "interrupted"),
            ("steps:2", 2, "passed"),
            ("steps:3", 1, "passed"),
        ]
    finally:
        os.kill(daemon, signal.SIGKILL)
