"""`opsbook run` with host= steps against a real sshd: per-host attempts, a host down."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.e2e.sshd import SshServer
from tests.procedures.cli_support import cli_env, opsbook, run_json

pytestmark = pytest.mark.e2e


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_group_step_runs_on_every_host_over_ssh_and_a_down_host_fails_it(
    tmp_path: Path, sshd: SshServer
) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(f"""---
hosts:
  web1: {{address: {sshd.address}, port: {sshd.port}, user: {sshd.user}}}
  web2: {{address: {sshd.address}, port: {sshd.port}, user: {sshd.user}}}
  down1: {{address: 127.0.0.1, port: {closed_port()}, user: {sshd.user}}}
groups:
  web: [web1, web2]
  everyone: [web1, web2, down1]
ssh:
  known_hosts: {sshd.known_hosts}
  client_keys: [{sshd.client_key}]
---
# Test

## Standard Operating Procedures

### Greet Procedure

**Parameters**:
- `GREETING` (required): what to say

**Steps**:
1. Greet the web hosts: `echo "$GREETING from $OPSBOOK_STEP"` {{host=web}}

### Reach Procedure

**Steps**:
1. Reach everyone: `true` {{host=everyone parallel=3}}

**Rollback**:
1. Note it here: `echo rolled back`
""")
    env = cli_env(tmp_path / "state")
    done = opsbook("run", str(book), "greet", "--param", "GREETING=hello there", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    attempts = run_json("runs", "show", "1", env=env)["attempts"]
    assert [(a["host"], a["status"], a["stdout"]) for a in attempts] == [
        ("web1", "passed", "hello there from steps:1\n"),
        ("web2", "passed", "hello there from steps:1\n"),
    ]
    done = opsbook("run", str(book), "reach", env=env)
    assert done.returncode == 1 and "rolled back" in done.stdout
    assert "down1" in done.stdout
    attempts = run_json("runs", "show", "2", env=env)["attempts"]
    by_host = {a["host"]: a for a in attempts if a["step"] == "steps:1"}
    assert by_host["web1"]["status"] == by_host["web2"]["status"] == "passed"
    assert by_host["down1"]["status"] == "error" and by_host["down1"]["error"]
