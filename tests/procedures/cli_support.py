"""Run the real `opsbook` command on a runbook written into a temporary directory."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

OPSBOOK = str(Path(sys.executable).parent / "opsbook")
HEADER = "# Test system\n\n"


def write_runbook(directory: Path, body: str, env_table: str = "") -> Path:
    """Write RUNBOOK.md from procedure Markdown (and an optional env var table)."""
    text = HEADER
    if env_table:
        text += "## Environment Variables\n\n" + env_table.strip() + "\n\n"
    text += "## Standard Operating Procedures\n\n" + body.strip() + "\n"
    path = directory / "RUNBOOK.md"
    path.write_text(text, encoding="utf-8")
    return path


def cli_env(state: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOOK_")}
    env.update(OPSBOOK_HOME=str(state), OPSBOOK_USER="alice", NO_COLOR="1", COLUMNS="200")
    env["XDG_CACHE_HOME"] = f"{state}-cache"  # parsed runbooks: not in the user's own cache
    env.update(extra)
    return env


def opsbook(
    *args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run opsbook with no terminal (stdin from /dev/null)."""
    return subprocess.run(
        [OPSBOOK, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )


def run_json(*args: str, env: dict[str, str]) -> Any:
    done = opsbook(*args, "--json", env=env)
    assert done.stdout, done.stderr
    return json.loads(done.stdout)


def main_in_new_process(argv: list[str], env: dict[str, str]) -> tuple[int, set[str], str]:
    """Run opsbook's `main` with `argv` in a new Python; its exit status, modules and output."""
    code = (
        "import json, sys\n"
        "from opsbook.cli.app import main\n"
        f"sys.argv = ['opsbook', *{argv!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    print(json.dumps([exc.code, sorted(sys.modules)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    *printed, last = done.stdout.splitlines()
    status, modules = json.loads(last)
    return status, set(modules), "\n".join(printed)


def recorded_runbook(directory: Path, body: str, *first_run: str) -> tuple[Path, dict[str, str]]:
    """Write a runbook and run `first_run` on it once, so its database exists; book, env."""
    book = write_runbook(directory, body)
    env = cli_env(directory / "state")
    done = opsbook("run", str(book), *first_run, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return book, env


def converse(args: list[str], env: dict[str, str], answers: list[str]) -> tuple[int, str]:
    """Run opsbook on a pseudo-terminal, answering each confirmation prompt in turn."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([OPSBOOK, *args], stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    seen, pending = b"", list(answers)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if pending and seen.count(b"[a]bort") > len(answers) - len(pending):
                os.write(master, pending.pop(0).encode() + b"\n")
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(timeout=30), seen.decode(errors="replace")
