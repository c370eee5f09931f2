"""Run the real app under Uvicorn on a free loopback port, in a thread, for HTTP tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """Return a loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(state: Any, *, port: int | None = None) -> Iterator[str]:
    """Serve `create_app(state)` until the block ends; yield its base URL."""
    import uvicorn

    from opsbook.web.app import create_app

    chosen = port or free_port()
    config = uvicorn.Config(
        create_app(state),
        host="127.0.0.1",
        port=chosen,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{chosen}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@contextmanager
def serving_process(
    runbook: Path, url: str, *, worker: bool = False, port: int | None = None
) -> Iterator[str]:
    """Serve in a child process (its own interpreter and GIL); yield its base URL."""
    import httpx

    port = port or free_port()
    args = [sys.executable, "-m", "tests.monitoring.serve_app", str(runbook), url, str(port)]
    child = subprocess.Popen([*args, *(["--worker"] if worker else [])], cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if child.poll() is not None:
                raise RuntimeError(f"the server exited with status {child.returncode}")
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer /api/v1/health within 30 s")
            time.sleep(0.1)
        yield base
    finally:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
