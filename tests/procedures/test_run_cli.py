"""`opsbook run` end to end: real child processes, the real CLI, SQLite in a temp dir."""

from __future__ import annotations

import json
import time
from pathlib import Path

import psutil
import pytest

from tests.procedures.cli_support import cli_env, opsbook, run_json, write_runbook

pytestmark = pytest.mark.process


def setup(tmp_path: Path, body: str, env_table: str = "") -> tuple[Path, dict[str, str]]:
    return write_runbook(tmp_path, body, env_table), cli_env(tmp_path / "state")


def test_failed_prerequisite_stops_before_any_step(tmp_path: Path) -> None:
    book, env = setup(
        tmp_path,
        """
### Startup Procedure

**Prerequisites**:
- [ ] Disk is there: `test -d /`
- [ ] Config exists: `test -f missing.conf`
- [ ] Port is free: `touch checked-port`

**Steps**:
1. Start it: `touch started`
""",
    )
    done = opsbook("run", str(book), "startup", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Config exists" in done.stdout and "no step ran" in done.stdout
    assert not (tmp_path / "started").exists()
    assert (tmp_path / "checked-port").exists(), "every prerequisite runs"
    run = run_json("runs", "show", "1", env=env)
    assert run["status"] == "failed"
    assert [a["phase"] for a in run["attempts"]] == ["prerequisites"] * 3


ROLLBACK_BOOK = """
### Startup Procedure

**Steps**:
1. Prepare: `touch prepared`
2. Start the server: `echo starting; echo port 8080 in use >&2; exit 3`
3. Announce: `touch announced`

**Validation**:
- [ ] Server answers: `test -f healthy`

**Rollback**:
1. Remove what was prepared: `rm prepared && touch rolled-back`
"""


def test_failed_step_runs_rollback_and_says_so(tmp_path: Path) -> None:
    book, env = setup(tmp_path, ROLLBACK_BOOK)
    done = opsbook("run", str(book), "startup", env=env)
    assert done.returncode == 1
    assert "failed and was rolled back" in done.stdout
    assert "port 8080 in use" in done.stdout, "the failed step's output tail is shown"
    assert (tmp_path / "rolled-back").exists() and not (tmp_path / "announced").exists()
    run = run_json("runs", "show", "1", env=env)
    assert run["status"] == "rolled-back" and run["finished_at"]
    failed = [a for a in run["attempts"] if a["status"] == "failed"]
    assert failed[0]["exit_code"] == 3 and "port 8080 in use" in failed[0]["stderr"]


def test_failed_validation_runs_rollback(tmp_path: Path) -> None:
    book, env = setup(tmp_path, ROLLBACK_BOOK.replace("exit 3", "true"))
    done = opsbook("run", str(book), "startup", env=env)
    assert done.returncode == 1 and "rolled back" in done.stdout
    assert (tmp_path / "announced").exists() and (tmp_path / "rolled-back").exists()
    assert run_json("runs", "show", "1", env=env)["status"] == "rolled-back"


def test_failure_without_rollback_says_not_rolled_back(tmp_path: Path) -> None:
    book, env = setup(tmp_path, "### Deploy Procedure\n\n**Steps**:\n1. Break: `exit 1`\n")
    done = opsbook("run", str(book), "deploy", env=env)
    assert done.returncode == 1 and "not rolled back" in done.stdout
    assert "no rollback is defined" in done.stdout


def test_rollback_that_names_a_procedure_runs_that_procedure(tmp_path: Path) -> None:
    book, env = setup(
        tmp_path,
        """
### Startup Procedure

**Steps**:
1. Start: `touch up`
2. Break: `exit 1`

**Rollback**: Run the Shutdown Procedure

### Shutdown Procedure

**Steps**:
1. Stop: `rm up && touch down`

**Validation**:
- [ ] Stopped: `test ! -f up`
""",
    )
    done = opsbook("run", str(book), "startup", env=env)
    assert done.returncode == 1 and "from the shutdown procedure" in done.stdout
    assert (tmp_path / "down").exists()
    assert run_json("runs", "show", "1", env=env)["status"] == "rolled-back"


COUNTER = 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; test "$n" -ge 3'


def test_retries_rerun_a_failing_step_until_it_passes(tmp_path: Path) -> None:
    book, env = setup(
        tmp_path,
        f"""
### Warmup Procedure

**Steps**:
1. Wait for the cache: `{COUNTER}` {{retries=3 delay=0.2}}
""",
    )
    started = time.monotonic()
    done = opsbook("run", str(book), "warmup", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert time.monotonic() - started >= 0.4, "the delay is honoured between attempts"
    attempts = run_json("runs", "show", "1", env=env)["attempts"]
    assert [(a["attempt"], a["status"]) for a in attempts] == [
        (1, "failed"),
        (2, "failed"),
        (3, "passed"),
    ]


def test_step_fails_when_retries_run_out(tmp_path: Path) -> None:
    book, env = setup(
        tmp_path,
        f"""
### Warmup Procedure

**Steps**:
1. Wait for the cache: `{COUNTER}` {{retries=1}}
""",
    )
    done = opsbook("run", str(book), "warmup", env=env)
    assert done.returncode == 1 and "retrying" in done.stdout
    assert len(run_json("runs", "show", "1", env=env)["attempts"]) == 2


def test_timeout_kills_the_step_process_tree(tmp_path: Path) -> None:
    book, env = setup(
        tmp_path,
        """
### Hang Procedure

**Steps**:
1. Hang: `sleep 300 & echo $! > grandchild.pid; wait` {timeout=1}
""",
    )
    done = opsbook("run", str(book), "hang", env=env)
    assert done.returncode == 1 and "timed out after 1s" in done.stdout
    pid = int((tmp_path / "grandchild.pid").read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"grandchild {pid} survived the timeout")
    attempt = run_json("runs", "show", "1", env=env)["attempts"][0]
    assert attempt["status"] == "timed-out"


def test_continue_on_error_and_expect(tmp_path: Path) -> None:
    book, env = setup(
        tmp_path,
        """
### Check Procedure

**Steps**:
1. Optional cleanup: `exit 1` {continue_on_error=true}
2. Status is degraded: `echo state=degraded; exit 2` {expect=2}
3. Says ready: `echo "service: ready"; exit 1` {expect="ready$"}
4. Runs in the runbook's directory: `pwd > where.txt`
""",
    )
    done = opsbook("run", str(book), "check", env=env, cwd=Path("/"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "succeeded: 3 of 4 items passed; 1 failed and was allowed to continue (continue_on_error)"
        in done.stdout
    ), done.stdout
    assert (tmp_path / "where.txt").read_text().strip() == str(tmp_path)
    assert run_json("runs", "show", "1", env=env)["steps"]["steps:1"] == "failed-ignored"


def test_parameter_values_reach_commands_only_as_environment(tmp_path: Path) -> None:
    marker, victim = tmp_path / "x", tmp_path / "victim"
    victim.mkdir()
    book, env = setup(
        tmp_path,
        """
### Deploy Procedure

**Parameters**:
- `VERSION` (required): release to deploy

**Steps**:
1. Record it: `echo "deploying $VERSION" > out.txt`
2. Record the target: `printf '%s' <target> > target.txt`
""",
    )
    evil = f"$(touch {marker}); rm -rf {victim}; `touch {marker}`"
    done = opsbook(
        "run",
        str(book),
        "deploy",
        "--param",
        f"VERSION={evil}",
        "--param",
        f"target=; touch {marker}",
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not marker.exists() and victim.exists()
    assert (tmp_path / "out.txt").read_text() == f"deploying {evil}\n"
    assert (tmp_path / "target.txt").read_text() == f"; touch {marker}"


def test_bad_input_is_reported_before_anything_runs(tmp_path: Path) -> None:
    book, env = setup(
        tmp_path,
        """
### Deploy Procedure

**Parameters**:
- `VERSION` (required): release

**Steps**:
1. First: `touch ran`
2. Uses an undeclared variable: `echo $NOT_DECLARED_ANYWHERE`
3. Uses a placeholder: `echo <namespace>`
4. Uses the secret: `echo $API_SECRET`
""",
        """
| Variable | Required | Default | Description |
|---|---|---|---|
| API_SECRET | yes | | token for the API |
""",
    )
    done = opsbook("run", str(book), "deploy", env=env)
    assert done.returncode == 2
    for needle in ("NOT_DECLARED_ANYWHERE", "VERSION", "<namespace>", "API_SECRET"):
        assert needle in done.stderr, needle
    assert not (tmp_path / "ran").exists()
    assert not (tmp_path / "state" / "opsbook.db").exists(), "nothing is written"
    for args in (["nope"], ["deploy", "--host", "web9"], ["deploy", "--param", "X"]):
        assert opsbook("run", str(book), *args, env=env).returncode == 2, args


def test_dry_run_prints_the_resolved_plan_and_runs_nothing(tmp_path: Path) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text("""---
hosts:
  web1: {address: 10.0.0.5, user: ops}
  web2: {address: 10.0.0.6}
groups:
  web: [web1, web2]
---
# Test

## Environment Variables

| Variable | Required | Default | Description |
|---|---|---|---|
| DB_PASSWORD | yes | | database password |

## Standard Operating Procedures

### Deploy Procedure

**Parameters**:
- `VERSION` (required): release

**Steps**:
1. Build: `touch built`
2. Restart web: `systemctl restart web` {host=web}
""")
    env = cli_env(tmp_path / "state", DB_PASSWORD="pw-very-secret-1")
    done = opsbook("run", str(book), "deploy", "--param", "VERSION=2.0", "--dry-run", env=env)
    assert done.returncode == 0, done.stderr
    assert "web1 (ops@10.0.0.5:22), web2 (10.0.0.6:22)" in done.stdout
    assert "VERSION = 2.0" in done.stdout and "DB_PASSWORD = ****" in done.stdout
    assert "pw-very-secret-1" not in done.stdout
    assert not (tmp_path / "built").exists()
    data = run_json("run", str(book), "deploy", "--param", "VERSION=2.0", "--dry-run", env=env)
    assert [h["name"] for h in data["items"][1]["hosts"]] == ["web1", "web2"]


def test_issue_and_disaster_recovery_steps_run_by_their_ids(tmp_path: Path) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text("""# Test

## Troubleshooting Guide

### Common Issues

#### Issue: Disk full

**Symptoms**:
- writes fail

**Diagnosis Steps**:
1. Look: `touch diagnosed; exit 1`

**Resolution**:
1. Clean: `touch cleaned`

## Disaster Recovery

### Disaster Recovery Steps
1. Restore: `touch restored`
""")
    env = cli_env(tmp_path / "state")
    done = opsbook("run", str(book), "disk-full", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "diagnosed").exists() and (tmp_path / "cleaned").exists()
    assert opsbook("run", str(book), "disk-full:diagnosis", env=env).returncode == 1
    assert opsbook("run", str(book), "disaster-recovery", env=env).returncode == 0
    assert (tmp_path / "restored").exists()
    runs = run_json("runs", "list", env=env)
    assert [r["procedure"] for r in runs] == [
        "disaster-recovery",
        "disk-full:diagnosis",
        "disk-full",
    ]
    assert {"id", "procedure", "status", "started_at", "finished_at", "started_by"} <= set(runs[0])
    assert runs[0]["started_by"] == "alice"


def test_json_run_output_has_the_run_and_its_attempts(tmp_path: Path) -> None:
    book, env = setup(tmp_path, "### Hello Procedure\n\n**Steps**:\n1. Say: `echo hi`\n")
    done = opsbook("run", str(book), "hello", "--json", env=env)
    data = json.loads(done.stdout)
    assert done.returncode == 0 and data["status"] == "succeeded"
    assert data["attempts"][0]["stdout"] == "hi\n"
