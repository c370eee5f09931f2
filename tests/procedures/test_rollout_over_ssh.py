"""`batch=` and `max_fail=` over real SSH: 30 host names on the loopback sshd, two of them down."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.sshd import SshServer
from tests.procedures.cli_support import cli_env, opsbook, run_json
from tests.procedures.test_run_over_ssh import closed_port

pytestmark = pytest.mark.e2e

HOSTS = [f"web{n:02d}" for n in range(1, 31)]
DOWN = ("web05", "web12")


def test_batches_stop_over_max_fail_and_within_it_the_run_goes_on(
    tmp_path: Path, sshd: SshServer
) -> None:
    down_port = closed_port()
    hosts = "\n".join(
        f"  {h}: {{address: {sshd.address}, port: {down_port if h in DOWN else sshd.port}, "
        f"user: {sshd.user}}}"
        for h in HOSTS
    )
    ran = tmp_path / "ran.txt"
    book = tmp_path / "RUNBOOK.md"
    book.write_text(f"""---
hosts:
{hosts}
groups:
  web: [{", ".join(HOSTS)}]
ssh:
  known_hosts: {sshd.known_hosts}
  client_keys: [{sshd.client_key}]
---
# Test

## Standard Operating Procedures

### Rollout Procedure

**Steps**:
1. Roll out: `echo x >> {ran}` {{host=web batch=5 max_fail=1}}

**Rollback**:
1. Note it here: `echo rolled back`

### Tolerant Procedure

**Steps**:
1. Check: `echo fine` {{host=web max_fail=10% parallel=15}}
2. Then: `echo went on`
""")
    env = cli_env(tmp_path / "state")
    assert opsbook("check", str(book), env=env).returncode == 0
    done = opsbook("run", str(book), "rollout", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    # Batch 1 (web01-05) loses web05, within max_fail=1; batch 3 (web11-15) loses web12: over.
    assert "(30 hosts: 13 ok, 2 failed, 15 not run)" in done.stdout
    assert "2 of 30 hosts failed, over max_fail=1 (1 allowed); 15 not run (batch=5)" in done.stdout
    assert "rolled back" in done.stdout
    assert len(ran.read_text().splitlines()) == 13
    attempts = run_json("runs", "show", "1", env=env)["attempts"]
    by_host = {a["host"]: a["status"] for a in attempts if a["step"] == "steps:1"}
    assert [h for h, s in by_host.items() if s == "error"] == list(DOWN)
    assert [h for h, s in by_host.items() if s == "not-run"] == HOSTS[15:]

    done = opsbook("run", str(book), "tolerant", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 of 30 hosts failed, within max_fail=10% (3 allowed)" in done.stdout
    assert "went on" in run_json("runs", "show", "2", env=env)["attempts"][-1]["stdout"]
