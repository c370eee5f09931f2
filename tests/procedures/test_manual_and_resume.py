"""Manual steps (terminal, --yes, no terminal) and kill -9 then resume, via the real CLI."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.procedures.cli_support import (
    OPSBOOK,
    cli_env,
    converse,
    opsbook,
    run_json,
    write_runbook,
)

pytestmark = pytest.mark.process

MANUAL_BOOK = """
### Release Procedure

**Steps**:
1. Build: `echo build >> log.txt`
2. Check the dashboard is green
3. Publish: `echo publish >> log.txt` {confirm=true}
4. Announce: `echo announce >> log.txt`
"""


def test_manual_step_without_terminal_stops_cleanly_naming_the_step(tmp_path: Path) -> None:
    book = write_runbook(tmp_path, MANUAL_BOOK)
    env = cli_env(tmp_path / "state")
    done = opsbook("run", str(book), "release", env=env)
    assert done.returncode == 1
    assert 'step 2/4 "Check the dashboard is green" waits for a person' in done.stdout
    assert "opsbook resume 1" in done.stdout
    run = run_json("runs", "show", "1", env=env)
    assert run["status"] == "waiting" and run["waiting_step"] == "steps:2"
    assert (tmp_path / "log.txt").read_text() == "build\n"


def test_yes_confirms_manual_steps_as_the_user_with_yes(tmp_path: Path) -> None:
    book = write_runbook(tmp_path, MANUAL_BOOK)
    env = cli_env(tmp_path / "state")
    done = opsbook("run", str(book), "release", "--yes", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "confirmed by alice with --yes" in done.stdout
    run = run_json("runs", "show", "1", env=env)
    assert [(c["step"], c["decision"], c["by"], c["via"]) for c in run["confirmations"]] == [
        ("steps:2", "confirmed", "alice", "yes"),
        ("steps:3", "confirmed", "alice", "yes"),
    ]
    assert (tmp_path / "log.txt").read_text() == "build\npublish\nannounce\n"


def test_waiting_run_resumed_with_yes_does_not_repeat_finished_steps(tmp_path: Path) -> None:
    book = write_runbook(tmp_path, MANUAL_BOOK)
    env = cli_env(tmp_path / "state")
    assert opsbook("run", str(book), "release", env=env).returncode == 1
    done = opsbook("resume", "1", "--yes", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "log.txt").read_text() == "build\npublish\nannounce\n"
    assert run_json("runs", "show", "1", env=env)["status"] == "succeeded"
    again = opsbook("resume", "1", env=env)
    assert again.returncode == 1 and "already finished" in again.stderr


def test_person_at_the_terminal_confirms_skips_or_aborts(tmp_path: Path) -> None:
    book = write_runbook(tmp_path, MANUAL_BOOK)
    env = cli_env(tmp_path / "state", TERM="xterm")
    code, screen = converse(["run", str(book), "release"], env, ["c", "s"])
    assert code == 0, screen
    assert "confirmed by alice at the terminal" in screen
    assert (tmp_path / "log.txt").read_text() == "build\nannounce\n", "skipped step did not run"
    code, screen = converse(["run", str(book), "release"], env, ["abort"])
    assert code == 1 and "aborted at step 2/4" in screen
    run = run_json("runs", "show", "2", env=env)
    assert run["status"] == "failed" and run["confirmations"][0]["decision"] == "aborted"


@pytest.mark.parametrize("existing_database", [False, True])
def test_kill_9_mid_run_then_resume_continues_at_the_interrupted_step(
    tmp_path: Path, existing_database: bool
) -> None:
    # A first run creates the database through SQLAlchemy and Alembic; later runs on a
    # current schema write through sqlite3 directly. Both must survive kill -9.
    book = write_runbook(
        tmp_path,
        """
### Migrate Procedure

**Steps**:
1. Copy: `echo copy >> log.txt`
2. Transform: `test -f resumed-ok && exit 0; echo $$ > step2.pid; sleep 120`
3. Switch over: `echo switch >> log.txt`

### Noop Procedure

**Steps**:
1. Nothing: `true`
""",
    )
    env = cli_env(tmp_path / "state")
    first = "1"
    if existing_database:
        assert opsbook("run", str(book), "noop", env=env).returncode == 0
        first = "2"
    proc = subprocess.Popen(
        [OPSBOOK, "run", str(book), "migrate"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    pidfile = tmp_path / "step2.pid"
    deadline = time.monotonic() + 30
    while not (pidfile.exists() and pidfile.read_text().strip()):
        assert time.monotonic() < deadline, "step 2 never started"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with contextlib.suppress(ProcessLookupError):  # opsbook's watcher may have been first
        os.killpg(int(pidfile.read_text()), signal.SIGKILL)
    run = run_json("runs", "show", first, env=env)
    assert run["status"] == "interrupted"
    assert 'interrupted at step 2 "Transform"' in run["message"]
    assert [(a["step"], a["status"]) for a in run["attempts"]] == [
        ("steps:1", "passed"),
        ("steps:2", "interrupted"),
    ]
    assert run_json("runs", "list", env=env)[0]["status"] == "interrupted"
    (tmp_path / "resumed-ok").touch()
    done = opsbook("resume", first, "--yes", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 finished step will not run again" in done.stdout
    assert (tmp_path / "log.txt").read_text() == "copy\nswitch\n"
    run = run_json("runs", "show", first, env=env)
    assert run["status"] == "succeeded"
    assert [a["step"] for a in run["attempts"]].count("steps:1") == 1


@pytest.mark.parametrize("existing_database", [False, True])
def test_sigterm_stops_the_step_tree_and_marks_the_run_interrupted(
    tmp_path: Path, existing_database: bool
) -> None:
    book = write_runbook(
        tmp_path,
        """
### Long Procedure

**Steps**:
1. Wait: `sleep 300 & echo $! > child.pid; wait`

### Noop Procedure

**Steps**:
1. Nothing: `true`
""",
    )
    env = cli_env(tmp_path / "state")
    first = "1"
    if existing_database:
        assert opsbook("run", str(book), "noop", env=env).returncode == 0
        first = "2"
    proc = subprocess.Popen(
        [OPSBOOK, "run", str(book), "long"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pidfile = tmp_path / "child.pid"
    deadline = time.monotonic() + 30
    while not (pidfile.exists() and pidfile.read_text().strip()):
        assert time.monotonic() < deadline, "the step never started"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and f"Continue with: opsbook resume {first}" in err
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while os.path.exists(f"/proc/{child}") and time.monotonic() < deadline:
        if Path(f"/proc/{child}/stat").read_text().split()[2] == "Z":
            break
        time.sleep(0.05)
    else:
        assert not os.path.exists(f"/proc/{child}"), "the step's child survived SIGTERM"
    run = run_json("runs", "show", first, env=env)
    assert run["status"] == "interrupted" and run["attempts"][0]["status"] == "interrupted"


def test_terminal_asks_for_missing_parameters_and_placeholders(tmp_path: Path) -> None:
    book = write_runbook(
        tmp_path,
        """
### Deploy Procedure

**Parameters**:
- `VERSION` (required): release

**Steps**:
1. Record: `echo "$VERSION in <namespace>" > out.txt`
""",
    )
    env = cli_env(tmp_path / "state", TERM="xterm")
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [OPSBOOK, "run", str(book), "deploy"], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    seen, answers = b"", {b"VERSION: ": b"2.1\n", b"namespace: ": b"prod eu\n"}
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if not ready:
            continue
        try:
            seen += os.read(master, 4096)
        except OSError:
            break
        for prompt, answer in list(answers.items()):
            if seen.rstrip(b" ").endswith(prompt.rstrip(b" ")):
                os.write(master, answer)
                del answers[prompt]
    os.close(master)
    assert proc.wait(timeout=30) == 0, seen.decode(errors="replace")
    assert (tmp_path / "out.txt").read_text() == "2.1 in prod eu\n"


def test_step_needing_approvals_waits_even_with_yes(tmp_path: Path) -> None:
    book = write_runbook(
        tmp_path,
        """
### Release Procedure

**Steps**:
1. Ship it: `touch shipped` {approvals=2}
""",
    )
    env = cli_env(tmp_path / "state")
    done = opsbook("run", str(book), "release", "--yes", env=env)
    assert done.returncode == 1 and "waits for 2 approvals" in done.stdout
    assert not (tmp_path / "shipped").exists()
    assert run_json("runs", "show", "1", env=env)["status"] == "waiting"
