"""Gates on a real Prometheus query: one holds, one breaks, one whose Prometheus is down."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from tests.e2e.prom_stack import Stack, Target, processes, wait_for
from tests.monitoring.live import free_port
from tests.procedures.cli_support import cli_env, opsbook

pytestmark = pytest.mark.e2e
__all__ = ["processes"]  # the fixture, used by name

BOOK = """---
prometheus_url: http://127.0.0.1:{port}
---
# Demo

## Quick Reference

### Key Metrics

- Error rate: `prom:max(opsbook_e2e_error_rate)` — errors per hundred requests
"""


def _gate(book: Path, env: dict[str, str], condition: str) -> subprocess.CompletedProcess[str]:
    args = ("gate", "metric", "Error rate", condition, "--for", "3s", "--every", "1s")
    return opsbook(*args, "-f", str(book), env=env)


def test_gates_on_a_real_prometheus_hold_break_and_pause_when_it_is_down(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    stack = Stack(tmp_path, Target("opsbook_e2e_error_rate"), tmp_path / "rules.yml", "", "")
    stack.rules.write_text("groups: []\n")
    stack.webhook = f"http://127.0.0.1:{free_port()}/none"
    stack.target.value = 0.4
    stack.start(processes)
    query = f"http://127.0.0.1:{stack.prom_port}/api/v1/query"

    def scraped() -> bool:
        body = httpx.get(query, params={"query": "opsbook_e2e_error_rate"}).json()
        return bool(body["data"]["result"])

    wait_for("Prometheus to scrape the target", scraped)
    book = tmp_path / "RUNBOOK.md"
    book.write_text(BOOK.format(port=stack.prom_port))
    env = cli_env(tmp_path / "state")

    held = _gate(book, env, "< 1")
    assert held.returncode == 0, held.stdout + held.stderr
    assert "held: < 1 held for 3s" in held.stdout and "Error rate = 0.4" in held.stdout

    broke = _gate(book, env, "< 0.1")
    assert broke.returncode == 1
    assert "broken: value 0.4 at" in broke.stdout and "is not < 0.1" in broke.stdout

    down = tmp_path / "DOWN.md"
    down.write_text(BOOK.format(port=free_port()))
    paused = _gate(down, env, "< 1")
    assert paused.returncode == 3, paused.stdout + paused.stderr
    assert "inconclusive" in paused.stdout and "did not answer" in paused.stdout
    assert "a person must decide" in paused.stderr
