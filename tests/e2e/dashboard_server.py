"""A real `opsbook serve` on a copy of the example system, for the browser tests."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "tinyweb"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Served:
    url: str
    token: str
    process: subprocess.Popen[str]
    home: Path
    env: dict[str, str]

    def stop(self, timeout: float = 30) -> int:
        """Send SIGTERM and wait for the server to exit; return its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def serve_example(tmp: Path, *, point_at_tinyweb: bool = False) -> Served:
    """Copy the example system, start `opsbook serve` on it, return its URL and admin token.

    With point_at_tinyweb the copy's runbook names this tinyweb's port instead of 8765 (its
    metrics and gates reach it), and steps find `opsbook` on their PATH, as `make run` does.
    """
    home = tmp / "tinyweb"
    shutil.copytree(EXAMPLE, home, ignore=shutil.ignore_patterns("var", "__pycache__"))
    port, tinyweb_port = free_port(), free_port()
    env = {
        **os.environ,
        "OPSBOOK_HOME": str(tmp / "state"),
        "TINYWEB_PORT": str(tinyweb_port),
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    if point_at_tinyweb:
        book = home / "RUNBOOK.md"
        book.write_text(book.read_text().replace("127.0.0.1:8765", f"127.0.0.1:{tinyweb_port}"))
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("OPSBOOK_DATABASE_URL", None)
    opsbook = str(Path(sys.executable).parent / "opsbook")
    process = subprocess.Popen(
        [
            opsbook,
            "serve",
            str(home / "RUNBOOK.md"),
            "--port",
            str(port),
            "--bootstrap-admin",
            "e2e",
        ],
        cwd=home,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    assert process.stdout is not None
    token = ""
    deadline = time.monotonic() + 60
    while not token:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"opsbook serve exited with {process.wait()}")
        found = re.search(r"(opsb_[A-Za-z0-9_-]+)", line)
        token = found.group(1) if found else ""
        if time.monotonic() > deadline:
            raise RuntimeError("opsbook serve printed no admin token")
    while True:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("opsbook serve did not answer /api/v1/health")
        time.sleep(0.1)
    return Served(url, token, process, home, env)


def stop_example(served: Served) -> None:
    """Stop the server and anything the example left running."""
    try:
        served.stop()
    except subprocess.TimeoutExpired:
        served.process.kill()
    subprocess.run(
        [str(served.home / "bin" / "tinyweb"), "stop"],
        cwd=served.home,
        env=served.env,
        capture_output=True,
        timeout=60,
        check=False,
    )
