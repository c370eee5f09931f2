"""`opsbook serve` as a real process: a bad runbook refuses to start; SIGTERM stops it
cleanly, and a run in flight is recorded as interrupted, not lost."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from opsbook.store.database import open_database
from tests.e2e.dashboard_server import free_port

pytestmark = pytest.mark.process

OPSBOOK = str(Path(sys.executable).parent / "opsbook")


def _env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "OPSBOOK_HOME": str(tmp_path / "state"), "NO_COLOR": "1"}
    env.pop("OPSBOOK_DATABASE_URL", None)
    return env


def test_a_bad_runbook_is_refused_at_start_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "RUNBOOK.md"
    bad.write_text("# X\n\n## Startup Procedure\n\n**Steps**:\n1. Go: `true` {bogus=1}\n")
    done = subprocess.run(
        [OPSBOOK, "serve", str(bad), "--port", str(free_port())],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"{bad}:6" in done.stderr and "bogus" in done.stderr


def test_sigterm_marks_the_run_in_flight_interrupted_and_exits_zero(
    runbook_path: Path, tmp_path: Path
) -> None:
    port = free_port()
    server = subprocess.Popen(
        [OPSBOOK, "serve", str(runbook_path), "--port", str(port), "--bootstrap-admin", "t"],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        token = re.search(r"(opsb_[A-Za-z0-9_-]+)", server.stdout.readline())
        assert token is not None
        headers = {"Authorization": f"Bearer {token.group(1)}"}
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/api/v1/health").status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        run = httpx.post(f"{url}/api/v1/procedures/slow/runs", headers=headers, json={}).json()
        while not httpx.get(f"{url}/api/v1/runs/{run['id']}", headers=headers).json()["attempts"]:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
    db = open_database(f"sqlite:///{tmp_path / 'state' / 'opsbook.db'}")
    from opsbook.procedures.service import show_run

    shown = show_run(db=db, run_id=run["id"], machine="elsewhere", now=lambda: datetime.now(UTC))
    assert shown is not None
    assert shown.status == "interrupted"
    assert shown.attempts[0].status == "interrupted"
