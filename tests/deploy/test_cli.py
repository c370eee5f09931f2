"""`opsbook config`, `opsbook env check`, `opsbook history` as a person runs them."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.procedures.cli_support import OPSBOOK, cli_env, opsbook

pytestmark = pytest.mark.process

BOOK = """# Demo

## Standard Operating Procedures

### Release Procedure

**Parameters**:
- `VERSION` (required): the release

**Steps**:
1. Write the release: `printf 'RELEASE=%s\\n' "$VERSION" > etc/app.env` {unattended}

## Configuration Management

### Configuration Files

| File | Location | Purpose | Backup |
|------|----------|---------|--------|
| app.env | `etc/app.env` | Settings | kept by opsbook |

### Environment Variables

| Variable | Required | Default | Secret | Description |
|----------|----------|---------|--------|-------------|
| APP_TOKEN | Yes | | Yes | The token |
| APP_PORT | No | 8080 | No | Port, format: port |

## Version History

| Version | Date | Author | Changes |
|---------|------|--------|---------|
| 1.0 | 2026-01-01 | ana | Initial runbook |
| 1.1 | 2026-02-01 | opsbook | Marked Log rotation done (run 3) |
"""


def _drift(book: Path, env: dict[str, str]) -> tuple[int, dict[str, object]]:
    done = opsbook("config", "drift", "-f", str(book), "--json", env=env)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def test_baseline_drift_by_hand_then_by_a_run_then_accept(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "app.env").write_text("RELEASE=1\n")
    book = tmp_path / "RUNBOOK.md"
    book.write_text(BOOK)
    env = cli_env(tmp_path / "state", APP_TOKEN="t0ken-value")
    done = opsbook("config", "baseline", "-f", str(book), env=env)
    assert done.returncode == 0 and "version 1" in done.stdout, done.stderr
    code, report = _drift(book, env)
    assert code == 0 and report["drifted"] == 0

    (tmp_path / "etc" / "app.env").write_text("RELEASE=1-hotfix\n")
    done = opsbook("config", "drift", "-f", str(book), env=env)
    assert done.returncode == 1
    assert "outside opsbook" in done.stdout and "+RELEASE=1-hotfix" in done.stdout
    alerts = json.loads(opsbook("alerts", "list", "-f", str(book), "--json", env=env).stdout)
    assert [a["name"] for a in alerts] == ["ConfigDrift"]

    done = opsbook("config", "drift", "--accept", "-f", str(book), env=env)
    assert done.returncode == 0 and "version 2" in done.stdout
    run = opsbook("run", str(book), "release", "--param", "VERSION=2", env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    code, report = _drift(book, env)
    assert code == 1
    (app,) = report["files"]  # type: ignore[misc]
    assert app["cause"]["run_id"] == 1 and app["cause"]["step"] == "steps:1"
    assert report["unexplained"] == 0
    done = opsbook("config", "versions", "app.env", "-f", str(book), env=env)
    assert done.returncode == 0 and "v2" in done.stdout and "v1" in done.stdout


def test_env_check_never_shows_a_secret_and_fails_on_a_bad_format(tmp_path: Path) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(BOOK)
    env = cli_env(tmp_path / "state", APP_TOKEN="t0ken-value", APP_PORT="http")
    done = opsbook("env", "check", "-f", str(book), "--json", env=env)
    assert done.returncode == 1
    assert "t0ken-value" not in done.stdout
    got = {v["name"]: v["status"] for v in json.loads(done.stdout)["variables"]}
    assert got == {"APP_TOKEN": "ok", "APP_PORT": "bad format"}
    env["APP_PORT"] = "8081"
    done = opsbook("env", "check", "-f", str(book), env=env)
    assert done.returncode == 0 and "t0ken-value" not in done.stdout and "(secret)" in done.stdout
    del env["APP_TOKEN"]
    done = opsbook("env", "check", "-f", str(book), env=env)
    assert done.returncode == 1 and "missing" in done.stdout


def test_history_lists_the_version_history(tmp_path: Path) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(BOOK)
    done = opsbook("history", "-f", str(book), "--json", env=cli_env(tmp_path / "state"))
    rows = json.loads(done.stdout)
    assert [(r["version"], r["run_id"]) for r in rows] == [("1.0", None), ("1.1", 3)]


APPROVAL_BOOK = """# Demo

## Quick Reference

### Emergency Contacts

| Role | Name | Contact | Backup |
|------|------|---------|--------|
| Operations Lead | Lena Vogel | lena.vogel@example.com | Ana Ruiz (ana.ruiz@example.com) |

## Standard Operating Procedures

### Deployment Procedure

**Parameters**:
- `VERSION` (required): the release

**Prerequisites**:
- [ ] Two approvals: `opsbook gate approvals 2 --role "Operations Lead" --within 2m`

**Steps**:
1. Deploy: `echo "deployed $VERSION"` {unattended}
"""


def test_a_run_waits_for_two_approvals_of_the_role_then_goes_on(tmp_path: Path) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(APPROVAL_BOOK)
    env = cli_env(tmp_path / "state")
    env["PATH"] = f"{Path(OPSBOOK).parent}{os.pathsep}{env.get('PATH', '')}"
    run = subprocess.Popen(
        [OPSBOOK, "run", str(book), "deployment", "-p", "VERSION=2.0"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        waiting: list[dict[str, object]] = []
        while not waiting and time.monotonic() < deadline:
            listed = opsbook("gate", "decisions", "-f", str(book), "--json", env=env)
            waiting = json.loads(listed.stdout) if listed.stdout else []
            time.sleep(0.3)
        (asked,) = waiting
        assert (asked["needed"], asked["role"]) == (2, "Operations Lead")

        def decide(user: str) -> subprocess.CompletedProcess[str]:
            args = ("gate", "decide", str(asked["id"]), "--let-pass", "-f", str(book))
            return opsbook(*args, env={**env, "OPSBOOK_USER": user})

        refused = decide("sam")
        assert refused.returncode != 0 and "does not hold the role" in refused.stderr
        assert decide("lena.vogel").returncode == 0
        assert run.poll() is None  # one of two: still waiting
        assert decide("ana.ruiz").returncode == 0
        out, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, out + err
    shown = json.loads(opsbook("runs", "show", "1", "--json", env=env).stdout)
    gate = next(a for a in shown["attempts"] if a["step"] == "prerequisites:1")
    assert "passed by lena.vogel, ana.ruiz at" in gate["stdout"]
