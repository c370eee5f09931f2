"""The example system: its runbook reads fully, and tinyweb really runs as the runbook says."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from opsbook.cli.app import app
from opsbook.runbook.loader import load_runbook
from opsbook.runbook.model import Runbook, Step

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tinyweb"
RUNBOOK = EXAMPLE / "RUNBOOK.md"
CONTROL = EXAMPLE / "bin" / "tinyweb"


def inspect_data() -> dict[str, Any]:
    result = CliRunner().invoke(app, ["inspect", str(RUNBOOK), "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_example_runbook_passes_check_without_warnings() -> None:
    result = CliRunner().invoke(app, ["check", str(RUNBOOK), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["warnings"] == []
    assert report["counts"]["procedures"] == 6


def test_example_inspect_has_the_procedures_written() -> None:
    procedures = {p["id"]: p for p in inspect_data()["procedures"]}
    assert list(procedures) == [
        "startup",
        "shutdown",
        "cache-warmup",
        "backup",
        "log-rotation",
        "deployment",
    ]
    startup = procedures["startup"]
    assert startup["rollback_procedure"] == "shutdown"
    assert [s["command"] for s in startup["steps"]] == [
        None,
        "bin/tinyweb start",
        "bin/tinyweb health",
    ]
    assert startup["steps"][1]["attrs"] == {"timeout": 60.0, "unattended": True}
    assert [s["who"] for s in startup["steps"]] == ["confirm", "unattended", "unattended"]
    assert startup["steps"][2]["attrs"] == {"retries": 3, "delay": 2.0}
    assert all(check["command"] for check in startup["validation"])
    deployment = procedures["deployment"]
    assert deployment["parameters"][0]["name"] == "VERSION"
    assert deployment["parameters"][0]["required"] is True
    assert deployment["parameters"][1]["default"] == "routine release"
    assert deployment["steps"][3]["attrs"] == {"timeout": 60.0, "confirm": True}
    assert deployment["rollback"][0]["command"] == (
        'bin/tinyweb release rollback --from "$VERSION"'
    )
    assert procedures["backup"]["frequency"] == "Daily"
    assert procedures["backup"]["restore_test_schedule"].startswith("Weekly")
    assert procedures["cache-warmup"]["rollback"], "the demo procedure must roll back"


def test_example_inspect_has_every_section_written() -> None:
    data = inspect_data()
    assert data["system"]["name"] == "tinyweb"
    assert data["settings"]["monitoring"] == {"interval": "30s"}
    assert [c["role"] for c in data["contacts"]] == [
        "Primary Owner",
        "Security Lead",
        "Operations Lead",
    ]
    assert all(c["backup"].endswith("@example.com)") for c in data["contacts"])
    assert "opsbook serve" in data["dashboard"]
    sources = {m["name"]: m["source"] for m in data["metrics"]}
    assert sources["Service health"] == "http:http://127.0.0.1:8765/health"
    assert sources["Disk usage"] == "host:disk_percent:/"
    assert {m["kind"] for m in data["metrics"]} == {"http", "host", "cmd", "prom"}
    rules = {r["metric"]: r for r in data["alert_rules"]}
    assert rules["Service health"]["critical"] == {"op": "<", "value": 1.0}
    assert rules["Items stored"]["for_seconds"] == 120.0
    kinds = {a["kind"] for r in data["alert_rules"] for a in r["actions"]}
    assert kinds == {"run", "notify", "incident", "text"}
    assert {"kind": "incident", "target": "SEV-2"} in rules["Items stored"]["actions"]
    assert data["response_times"] == {
        "critical": 900.0,
        "high": 3600.0,
        "medium": 14400.0,
        "low": 86400.0,
    }
    issues = {i["id"]: i for i in data["troubleshooting"]}
    assert set(issues) == {
        "tinyweb-will-not-start",
        "items-missing-or-unreadable",
        "disk-filling-up",
    }
    for issue in issues.values():
        assert issue["symptoms"] and issue["prevention"]
        assert any(s["command"] for s in issue["diagnosis"])
        assert any(s["command"] for s in issue["resolution"])
    assert [s["level"] for s in data["severity_levels"]] == ["SEV-1", "SEV-2", "SEV-3", "SEV-4"]
    assert [p["name"] for p in data["incident_process"]][-1] == "Post-Mortem"
    assert len(data["security_response"]["steps"]) == 5
    assert data["security_response"]["evidence"]
    assert {t["frequency"] for t in data["maintenance_tasks"]} >= {"Daily", "As needed"}
    assert data["config_files"][0]["file"] == "tinyweb.py"
    token = next(e for e in data["env_vars"] if e["name"] == "TINYWEB_ADMIN_TOKEN")
    assert token["secret"] is True and token["default"] == ""
    dr = data["disaster_recovery"]
    assert (dr["rto_seconds"], dr["rpo_seconds"]) == (900.0, 86400.0)
    assert any("restore" in (s["command"] or "") for s in dr["steps"])
    first = data["useful_commands"][0]
    assert (first["name"], first["command"]) == ("Status at a glance", "bin/tinyweb status")
    assert RUNBOOK.read_text().splitlines()[first["line"] - 1] == "# Status at a glance"
    assert data["log_locations"][0].startswith("`var/state/tinyweb.log`")
    assert len(data["references"]) == 4
    assert data["version_history"][0]["version"] == "1.0"


def test_no_step_command_swallows_text_from_its_description() -> None:
    runbook = load_runbook(RUNBOOK)
    for step in all_steps(runbook):
        assert step.command is None or "`" not in step.command, step


# --- the real system -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Tinyweb:
    """tinyweb on a free port with its data, state and backups in a temporary directory."""

    env: dict[str, str]
    root: Path

    @property
    def port(self) -> int:
        return int(self.env["TINYWEB_PORT"])

    @property
    def pid_file(self) -> Path:
        return self.root / "state" / "tinyweb.pid"

    def control(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CONTROL), *args],
            env={**self.env, **extra},
            cwd=EXAMPLE,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def shell(self, command: str, **extra: str) -> subprocess.CompletedProcess[str]:
        """Run a runbook command the way the engine does: sh, cwd = the runbook's directory."""
        return subprocess.run(
            ["/bin/sh", "-c", command],
            env={**self.env, **extra},
            cwd=EXAMPLE,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def call(self, path: str, body: bytes | None = None, token: str = "") -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=body,
            headers=headers,
            method="POST" if body is not None else "GET",
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                raw = answer.read()
                status: int = answer.status
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())
        is_json = answer.headers.get_content_type() == "application/json"
        return status, json.loads(raw) if is_json else raw.decode()


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, IndexError):
        return True


@pytest.fixture
def tinyweb(tmp_path: Path) -> Iterator[Tinyweb]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TINYWEB_")}
    env.update(
        {
            "TINYWEB_PORT": str(free_port()),
            "TINYWEB_DATA": str(tmp_path / "data"),
            "TINYWEB_STATE": str(tmp_path / "state"),
            "TINYWEB_BACKUPS": str(tmp_path / "backups"),
            "TINYWEB_RELEASES": str(tmp_path / "releases"),
        }
    )
    system = Tinyweb(env=env, root=tmp_path)
    yield system
    system.control("stop", "--timeout", "5")
    if system.pid_file.exists():  # stop failed: never leave a server behind
        pid = int(system.pid_file.read_text())
        if not process_gone(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.process
def test_tinyweb_starts_stores_an_item_backs_up_and_stops(tinyweb: Tinyweb) -> None:
    started = tinyweb.control("start")
    assert started.returncode == 0, started.stderr
    pid = int(tinyweb.pid_file.read_text())
    assert not process_gone(pid)

    status, item = tinyweb.call("/items", json.dumps({"name": "apple"}).encode())
    assert status == 201 and item["name"] == "apple"
    assert tinyweb.call("/items") == (200, [item])
    status, health = tinyweb.call("/health")
    assert (health["status"], health["items"], health["pid"]) == ("ok", 1, pid)
    status, metrics = tinyweb.call("/metrics")
    assert "tinyweb_items 1\n" in metrics
    assert 'tinyweb_requests_total{method="POST",path="/items",code="201"} 1' in metrics
    assert tinyweb.control("count").stdout.strip() == "1"

    backup = tinyweb.control("backup")
    assert backup.returncode == 0, backup.stderr
    archive = Path(backup.stdout.strip())
    assert archive.parent == tinyweb.root / "backups"
    assert archive.stat().st_mode & 0o777 == 0o600
    with tarfile.open(archive) as tar:
        assert f"data/items/{item['id']}.json" in tar.getnames()
    assert tinyweb.control("verify", "--private", "--max-age", "1m").returncode == 0

    stopped = tinyweb.control("stop")
    assert stopped.returncode == 0, stopped.stderr
    assert process_gone(pid)
    assert not tinyweb.pid_file.exists()
    assert tinyweb.control("status").returncode == 3
    assert tinyweb.control("port-free").returncode == 0
    log = (tinyweb.root / "state" / "tinyweb.log").read_text()
    assert "received SIGTERM" in log and log.rstrip().endswith("stopped cleanly")


@pytest.mark.process
def test_stop_lets_a_request_in_flight_finish_and_ignores_idle_clients(tinyweb: Tinyweb) -> None:
    assert tinyweb.control("start").returncode == 0
    body = b'{"name": "late"}'
    with (
        socket.create_connection(("127.0.0.1", tinyweb.port)) as idle,
        socket.create_connection(("127.0.0.1", tinyweb.port)) as writer,
    ):
        writer.sendall(
            b"POST /items HTTP/1.0\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        time.sleep(0.5)  # the server is now reading the body of a request in flight
        stopping = subprocess.Popen(
            [str(CONTROL), "stop", "--timeout", "20"],
            env=tinyweb.env,
            cwd=EXAMPLE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.0)
        assert stopping.poll() is None, "stop must wait for the request in flight"
        writer.sendall(body)
        answer = writer.makefile("rb").read()
        stopped_in = time.monotonic()
        assert stopping.wait(timeout=20) == 0, stopping.communicate()
        assert time.monotonic() - stopped_in < 10, "an idle connection held up the stop"
        assert idle.fileno() >= 0
    assert answer.startswith(b"HTTP/1.0 201")
    assert tinyweb.control("count").stdout.strip() == "1"


@pytest.mark.process
def test_restore_brings_back_a_deleted_item(tinyweb: Tinyweb) -> None:
    assert tinyweb.control("start").returncode == 0
    _, item = tinyweb.call("/items", b'{"name": "pear"}')
    archive = tinyweb.control("backup").stdout.strip()
    refused = tinyweb.control("restore", archive)
    assert refused.returncode == 1 and "stop it first" in refused.stderr
    assert tinyweb.control("stop").returncode == 0
    (tinyweb.root / "data" / "items" / f"{item['id']}.json").unlink()
    restored = tinyweb.control("restore", archive)
    assert restored.returncode == 0, restored.stderr
    assert tinyweb.control("start").returncode == 0
    assert tinyweb.call("/items") == (200, [item])


@pytest.mark.process
def test_start_fails_clearly_when_the_port_is_taken(tinyweb: Tinyweb) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", tinyweb.port))
        holder.listen()
        result = tinyweb.control("start")
    assert result.returncode == 1
    assert f"port {tinyweb.port} is already in use" in result.stderr
    assert not tinyweb.pid_file.exists()


@pytest.mark.process
def test_admin_token_guards_writes(tinyweb: Tinyweb) -> None:
    tinyweb.env["TINYWEB_ADMIN_TOKEN"] = "s3cret-token"
    assert tinyweb.control("start").returncode == 0
    assert tinyweb.call("/items", b'{"name": "x"}')[0] == 401
    assert tinyweb.call("/items", b'{"name": "x"}', token="wrong")[0] == 401
    assert tinyweb.call("/items", b'{"name": "x"}', token="s3cret-token")[0] == 201
    assert tinyweb.call("/items", b"[1, 2]", token="s3cret-token")[0] == 400
    # The control script sends the token from the environment.
    assert tinyweb.control("probe", "/cache", "--method", "DELETE").returncode == 0


# --- the runbook's own commands, run as written ----------------------------------------


def all_steps(runbook: Runbook) -> Iterator[Step]:
    for proc in runbook.procedures:
        yield from (*proc.prerequisites, *proc.steps, *proc.validation, *proc.rollback)
    for issue in runbook.troubleshooting:
        yield from (*issue.diagnosis, *issue.resolution)
    yield from runbook.disaster_recovery.steps


def run_steps(system: Tinyweb, steps: tuple[Step, ...], **extra: str) -> list[tuple[Step, int]]:
    """Run each automated step with its retries; manual steps are taken as confirmed."""
    outcomes = []
    for step in steps:
        # Gates wait for people and metrics through opsbook; tests/e2e/test_deploy_browser.py
        # runs them in a real run.
        if step.command is None or step.command.startswith("opsbook gate "):
            continue
        for attempt in range(step.attrs.retries + 1):
            result = system.shell(step.command, **extra)
            if result.returncode == 0:
                break
            if attempt < step.attrs.retries:
                time.sleep(step.attrs.delay)
        outcomes.append((step, result.returncode))
    return outcomes


def failures(outcomes: list[tuple[Step, int]]) -> list[str]:
    return [f"line {step.line}: {step.command} exited {code}" for step, code in outcomes if code]


@pytest.mark.process
def test_runbook_procedures_work_as_written(tinyweb: Tinyweb) -> None:
    runbook = load_runbook(RUNBOOK)

    def procedure(ident: str) -> Any:
        found = runbook.procedure(ident)
        assert found is not None
        return found

    startup = procedure("startup")
    for part in (startup.prerequisites, startup.steps, startup.validation):
        assert failures(run_steps(tinyweb, part)) == []

    warmup = procedure("cache-warmup")
    for part in (warmup.prerequisites, warmup.steps):
        assert failures(run_steps(tinyweb, part)) == []
    assert len(failures(run_steps(tinyweb, warmup.validation))) == 1  # fails on purpose
    assert failures(run_steps(tinyweb, warmup.rollback)) == []
    assert failures(run_steps(tinyweb, warmup.validation, TINYWEB_CACHE_WARM="1")) == []

    tinyweb.call("/items", b'{"name": "kept"}')
    backup = procedure("backup")
    assert failures(run_steps(tinyweb, backup.steps)) == []
    assert failures(run_steps(tinyweb, backup.validation)) == []

    deployment = procedure("deployment")
    params = {"VERSION": "1.2.3", "REASON": "test"}
    assert tinyweb.shell('bin/tinyweb release build "$VERSION"', **params).returncode == 0
    for part in (deployment.prerequisites, deployment.steps, deployment.validation):
        assert failures(run_steps(tinyweb, part, **params)) == []
    assert tinyweb.call("/health")[1]["version"] == "1.2.3"
    assert failures(run_steps(tinyweb, deployment.rollback, **params)) == []
    assert tinyweb.call("/health")[1]["version"] == "1.0.0"

    rotation = procedure("log-rotation")
    assert failures(run_steps(tinyweb, (*rotation.steps, *rotation.validation))) == []

    shutdown = procedure("shutdown")
    pid = int(tinyweb.pid_file.read_text())
    for part in (shutdown.prerequisites, shutdown.steps, shutdown.validation):
        assert failures(run_steps(tinyweb, part)) == []
    assert process_gone(pid)


@pytest.mark.process
def test_disaster_recovery_steps_restore_the_last_backup(tinyweb: Tinyweb) -> None:
    runbook = load_runbook(RUNBOOK)
    assert tinyweb.control("start").returncode == 0
    _, item = tinyweb.call("/items", b'{"name": "survivor"}')
    assert tinyweb.control("backup").returncode == 0
    tinyweb.call("/items", b'{"name": "lost after the backup"}')
    assert failures(run_steps(tinyweb, runbook.disaster_recovery.steps)) == []
    assert tinyweb.call("/items") == (200, [item])
