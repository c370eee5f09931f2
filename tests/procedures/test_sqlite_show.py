"""`opsbook run --json` reads its record without SQLAlchemy, and says the same as `runs show`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.procedures.cli_support import cli_env, opsbook, run_json, write_runbook

pytestmark = pytest.mark.process

BODY = """
### Deploy Procedure

**Prerequisites**:
- [ ] Disk is there: `test -d /`

**Steps**:
1. Say the version: `echo deploying <version>; echo warn >&2`
2. Look at the dashboard {confirm=true}
3. Fail: `echo broken; exit 3`

**Rollback Plan**:
1. Undo: `echo undone`
"""


def test_run_json_on_the_light_store_equals_runs_show(tmp_path: Path) -> None:
    path = write_runbook(tmp_path, BODY)
    env = cli_env(tmp_path / "state")
    # The first run creates the database through SQLAlchemy; the second is on the light store.
    opsbook("run", str(path), "deploy", "--yes", "-p", "version=1", env=env)
    ran = run_json("run", str(path), "deploy", "--yes", "-p", "version=2", env=env)
    shown = run_json("runs", "show", str(ran["id"]), "--runbook", str(path), env=env)
    assert ran == shown
    assert ran["status"] == "rolled-back" and ran["params"] == {"version": "2"}
    assert ran["confirmations"] and ran["confirmations"][0]["via"]
    failed = [a for a in ran["attempts"] if a["exit_code"] == 3]
    assert failed and failed[0]["stdout"] == "broken\n"
    assert ran["started_at"].endswith("+00:00")
