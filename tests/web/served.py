"""A real `opsbook serve` process on a runbook, on SQLite or on a PostgreSQL URL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.e2e.dashboard_server import free_port

OPSBOOK = str(Path(sys.executable).parent / "opsbook")


def serve_runbook(
    runbook: Path, url: str, home: Path, *extra: str
) -> tuple[subprocess.Popen[str], str]:
    """Start `opsbook serve` (on `url`, or SQLite in `home` when it is empty) and wait for it."""
    port = free_port()
    env = {**os.environ, "OPSBOOK_HOME": str(home), "NO_COLOR": "1"}
    env.pop("OPSBOOK_DATABASE_URL", None)
    if url:
        env["OPSBOOK_DATABASE_URL"] = url
    server = subprocess.Popen(
        [OPSBOOK, "serve", str(runbook), "--port", str(port), *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/api/v1/health").status_code == 200:
                return server, base
        except httpx.HTTPError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, "serve did not start"
        time.sleep(0.1)


def bootstrap_token(server: subprocess.Popen[str]) -> str:
    """Read the admin token `--bootstrap-admin` printed first."""
    assert server.stdout is not None
    token = re.search(r"(opsb_[A-Za-z0-9_-]+)", server.stdout.readline())
    assert token is not None
    return token.group(1)
