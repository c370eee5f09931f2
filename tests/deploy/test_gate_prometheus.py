"""Gates on a real Prometheus query: one holds, one breaks, one whose Prometheus is down;
in a run, an inconclusive gate pauses it until a person answers."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.e2e.prom_stack import Stack, Target, processes, wait_for
from tests.monitoring.live import free_port
from tests.procedures.cli_support import OPSBOOK, cli_env, opsbook

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


RUN_BOOK = """---
prometheus_url: http://127.0.0.1:{port}
---
# Demo

## Quick Reference

### Key Metrics

- Error rate: `prom:max(opsbook_e2e_error_rate)` — errors per hundred requests

## Standard Operating Procedures

### Deployment Procedure

**Parameters**:
- `VERSION` (required): the release

**Prerequisites**:
- [ ] Error rate low: `opsbook gate metric "Error rate" "< 1" --for 1s --every 1s`

**Steps**:
1. Deploy: `echo "deployed $VERSION"` {{unattended}}
"""


def _run_paused_then_answered(
    book: Path, env: dict[str, str], version: str, answer: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    run = subprocess.Popen(
        [OPSBOOK, "run", str(book), "deployment", "-p", f"VERSION={version}"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def waiting() -> object:
            listed = opsbook("gate", "decisions", "-f", str(book), "--json", env=env)
            found = json.loads(listed.stdout)
            return found[0] if found else None

        asked = wait_for("the gate to ask a person", waiting, timeout=60)
        assert run.poll() is None  # the run waits on its gate meanwhile
        sam = {**env, "OPSBOOK_USER": "sam"}
        done = opsbook("gate", "decide", str(asked["id"]), answer, "-f", str(book), env=sam)
        assert done.returncode == 0, done.stderr
        out, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    return subprocess.CompletedProcess(run.args, run.returncode, out, err), asked


def test_an_inconclusive_gate_in_a_run_pauses_it_until_a_person_answers(
    tmp_path: Path,
) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(RUN_BOOK.format(port=free_port()))  # nothing listens: Prometheus is down
    env = cli_env(tmp_path / "state")
    env["PATH"] = f"{Path(OPSBOOK).parent}{os.pathsep}{env.get('PATH', '')}"

    passed, asked = _run_paused_then_answered(book, env, "1.1", "--let-pass")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert asked["run_id"] == 1 and asked["step"] == "prerequisites:1"
    shown = json.loads(opsbook("runs", "show", "1", "--json", env=env).stdout)
    gate = next(a for a in shown["attempts"] if a["step"] == "prerequisites:1")
    assert "did not answer" in gate["stdout"] and "passed by sam" in gate["stdout"]

    stopped, _ = _run_paused_then_answered(book, env, "1.2", "--stop")
    assert stopped.returncode == 1
    assert "no step ran" in stopped.stdout
    shown = json.loads(opsbook("runs", "show", "2", "--json", env=env).stdout)
    gate = next(a for a in shown["attempts"] if a["step"] == "prerequisites:1")
    assert "stopped by sam" in gate["stdout"]
