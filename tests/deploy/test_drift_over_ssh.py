"""Drift of files on a host, read over a real sshd: by hand, by a run step there, mode, owner."""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path

import pytest

from tests.e2e.sshd import SshServer
from tests.procedures.cli_support import cli_env, opsbook

pytestmark = pytest.mark.e2e


def _book(tmp_path: Path, sshd: SshServer, remote: Path) -> Path:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(f"""---
hosts:
  web1: {{address: {sshd.address}, port: {sshd.port}, user: {sshd.user}}}
ssh:
  known_hosts: {sshd.known_hosts}
  client_keys: [{sshd.client_key}]
---
# Demo

## Standard Operating Procedures

### Tune Procedure

**Steps**:
1. Raise the limit on web1: `echo 'limit = 20' > "$CONF"` {{host=web1 unattended}}

**Parameters**:
- `CONF` (default: {remote}): the file

## Configuration Management

### Configuration Files

| File | Location | Purpose | Backup |
|------|----------|---------|--------|
| app.conf | `web1:{remote}` | Settings on web1 | kept by opsbook |
""")
    return book


def _drift(book: Path, env: dict[str, str]) -> dict[str, object]:
    done = opsbook("config", "drift", "-f", str(book), "--json", env=env)
    assert done.stdout, done.stderr
    data: dict[str, object] = json.loads(done.stdout)
    return data


def test_drift_on_a_host_over_ssh_by_hand_by_a_run_by_mode_and_by_owner(
    tmp_path: Path, sshd: SshServer
) -> None:
    remote = tmp_path / "remote" / "app.conf"
    remote.parent.mkdir()
    remote.write_text("limit = 10\npassword = hunter22\n")
    remote.chmod(0o644)
    book = _book(tmp_path, sshd, remote)
    env = cli_env(tmp_path / "state")
    done = opsbook("config", "baseline", "-f", str(book), "--json", env=env)
    assert done.returncode == 0, done.stderr
    (view,) = json.loads(done.stdout)
    assert (view["host"], view["path"], view["mode"], view["copy_kept"]) == (
        "web1",
        str(remote),
        "0644",
        True,
    )
    assert _drift(book, env)["drifted"] == 0

    remote.write_text("limit = 11\npassword = hunter22\n")  # by hand
    report = _drift(book, env)
    (app,) = report["files"]  # type: ignore[misc]
    assert app["host"] == "web1" and app["cause"] is None
    assert "-limit = 10\n+limit = 11\n" in app["diff"] and "hunter22" not in app["diff"]
    assert report["alerts_raised"] == [app["key"]]
    assert opsbook("config", "drift", "--accept", "-f", str(book), env=env).returncode == 0

    run = opsbook("run", str(book), "tune", env=env)  # by a run step on web1
    assert run.returncode == 0, run.stdout + run.stderr
    (app,) = _drift(book, env)["files"]  # type: ignore[misc]
    assert app["cause"]["run_id"] == 1 and app["cause"]["step"] == "steps:1"
    assert "+limit = 20\n" in app["diff"]
    assert opsbook("config", "drift", "--accept", "-f", str(book), env=env).returncode == 0

    remote.chmod(0o600)  # by mode
    (app,) = _drift(book, env)["files"]  # type: ignore[misc]
    assert [(c["kind"], c["before"], c["after"]) for c in app["changes"]] == [
        ("mode", "0644", "0600")
    ]
    remote.chmod(0o644)
    if os.geteuid() != 0:
        pytest.skip("changing a file's owner needs root")
    os.chown(remote, pwd.getpwnam("nobody").pw_uid, -1)  # by owner
    (app,) = _drift(book, env)["files"]  # type: ignore[misc]
    (change,) = app["changes"]
    assert change["kind"] == "owner" and change["after"].startswith("nobody:")


def test_env_check_on_a_host_reads_the_environment_its_ssh_session_has(
    tmp_path: Path, sshd: SshServer
) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(f"""---
hosts:
  web1: {{address: {sshd.address}, port: {sshd.port}, user: {sshd.user}}}
ssh:
  known_hosts: {sshd.known_hosts}
  client_keys: [{sshd.client_key}]
---
# Demo

## Configuration Management

### Environment Variables

| Variable | Required | Default | Secret | Description |
|----------|----------|---------|--------|-------------|
| HOME | Yes | | Yes | The login's home, format: path |
| OPSBOOK_NOT_ON_WEB1 | Yes | | No | Never set there |
""")
    env = cli_env(tmp_path / "state", OPSBOOK_NOT_ON_WEB1="set here only")
    done = opsbook("env", "check", "--host", "web1", "-f", str(book), "--json", env=env)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["host"] == "web1"
    assert [(v["name"], v["status"], v["value"]) for v in report["variables"]] == [
        ("HOME", "ok", None),
        ("OPSBOOK_NOT_ON_WEB1", "missing", None),
    ]
    done = opsbook("env", "check", "--host", "db9", "-f", str(book), env=env)
    assert done.returncode == 2 and 'no host "db9"' in done.stderr
