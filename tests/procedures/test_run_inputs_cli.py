"""`opsbook run` and `resume` refuse values a shell cannot receive (exit 2, nothing run or
stored), the SSH wrapper's input refuses them too, and a session shell that answers
garbage fails the run instead of leaving it running."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from opsbook.procedures.executors.protocol import CommandSpec
from opsbook.procedures.executors.ssh import stdin_script
from tests.procedures.cli_support import OPSBOOK, cli_env, opsbook, run_json, write_runbook

DEPLOY = """
### Deploy Procedure

**Parameters**:
- `VERSION` (required): release

**Steps**:
1. Confirm the window
2. Record it: `printf '%s' "$VERSION" > version.txt`
"""


@pytest.mark.process
def test_run_refuses_a_parameter_that_is_not_valid_unicode_and_stores_nothing(
    tmp_path: Path,
) -> None:
    book = write_runbook(tmp_path, DEPLOY)
    env = cli_env(tmp_path / "state")
    # Bytes that are not UTF-8 reach Python's argv as lone surrogates.
    done = subprocess.run(
        [OPSBOOK, "run", str(book), "deploy", "--yes", "--param", b"VERSION=\xff\xfe"],
        env=env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert b"parameter VERSION is not valid Unicode" in done.stderr
    assert not (tmp_path / "version.txt").exists()
    assert not (tmp_path / "state" / "opsbook.db").exists(), "nothing is stored"


@pytest.mark.process
def test_resume_refuses_a_stored_parameter_with_a_nul_and_runs_nothing(tmp_path: Path) -> None:
    book = write_runbook(tmp_path, DEPLOY)
    env = cli_env(tmp_path / "state")
    waiting = opsbook("run", str(book), "deploy", "--param", "VERSION=1.0", env=env)
    assert waiting.returncode == 1 and "waiting" in waiting.stdout
    # A row written before values were checked, or by hand: resume plans it again.
    with sqlite3.connect(tmp_path / "state" / "opsbook.db") as db:
        params = json.dumps({"VERSION": "1\u0000touch pwned"})
        db.execute("UPDATE runs SET params = ? WHERE id = 1", (params,))
    done = opsbook("resume", "1", "--yes", "--runbook", str(book), env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "parameter VERSION contains a NUL character" in done.stderr
    assert not (tmp_path / "version.txt").exists() and not (tmp_path / "pwned").exists()
    assert run_json("runs", "show", "1", env=env)["status"] == "waiting"


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        (CommandSpec("true", env={"V": "x\0touch /tmp/pwned"}), "variable V contains a NUL"),
        (CommandSpec("true", env={"V": "\udcff"}), "variable V is not valid Unicode"),
        (CommandSpec("true\0touch /tmp/pwned"), "the command contains a NUL"),
        (CommandSpec("true", cwd="/tmp\0x"), "the cwd contains a NUL"),
    ],
)
def test_the_ssh_wrapper_input_refuses_text_read_cannot_carry(spec: CommandSpec, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        stdin_script(spec)


@pytest.mark.process
def test_a_session_shell_that_answers_garbage_fails_the_run(tmp_path: Path) -> None:
    book = write_runbook(
        tmp_path,
        """
### Check Procedure

**Steps**:
1. Look: `true`
""",
    )
    fake = tmp_path / "bin" / "bash"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'Segmentation fault'\nexec sleep 300\n")
    fake.chmod(0o755)
    env = cli_env(tmp_path / "state")
    env["PATH"] = f"{fake.parent}:{env['PATH']}"
    done = opsbook("run", str(book), "check", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    run = run_json("runs", "show", "1", env=env)
    assert run["status"] == "failed"
    [attempt] = run["attempts"]
    assert attempt["status"] == "error" and "not a reply" in attempt["error"]
