"""`opsbook check` and `opsbook inspect` as a person and a script see them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.runbook.sample import FULL
from tests.runbook.secret_canaries import RUNBOOK as SECRET_RUNBOOK
from tests.runbook.secret_canaries import assert_no_canary

pytestmark = pytest.mark.process


def opsbook(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opsbook", *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )


def test_inspect_json_follows_the_contract_and_lists_what_can_run(tmp_path: Path) -> None:
    path = tmp_path / "RUNBOOK.md"
    path.write_text(FULL)
    result = opsbook("inspect", str(path), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    for key in (
        "system",
        "contacts",
        "hosts",
        "procedures",
        "metrics",
        "alert_rules",
        "response_times",
        "troubleshooting",
        "severity_levels",
        "maintenance_tasks",
        "config_files",
        "env_vars",
        "disaster_recovery",
        "log_locations",
        "useful_commands",
        "references",
        "version_history",
    ):
        assert key in data, key
    startup = data["procedures"][0]
    assert set(startup["steps"][0]) >= {"text", "command", "attrs", "line"}
    assert startup["steps"][0]["attrs"] == {"timeout": 30.0, "retries": 2, "delay": 1.0}
    assert data["alert_rules"][0]["warning"] == {"op": ">", "value": 80.0}
    assert "disaster-recovery" in data["runnable"]
    assert "api-returns-502:diagnosis" in data["runnable"]


def test_check_summarises_counts_and_warnings(tmp_path: Path) -> None:
    path = tmp_path / "RUNBOOK.md"
    path.write_text(FULL)
    result = opsbook("check", str(path))
    assert result.returncode == 0
    assert "4 procedures" in result.stdout
    assert 'contact "Security Lead" has no backup' in result.stdout
    data = json.loads(opsbook("check", str(path), "--json").stdout)
    assert data["counts"]["procedures"] == 4
    assert any("has no backup" in w["message"] for w in data["warnings"])


def test_every_command_has_help_with_an_example() -> None:
    for command in ("init", "check", "inspect", "render", "run", "serve"):
        result = opsbook(command, "--help")
        assert result.returncode == 0
        assert "Example" in result.stdout or "example" in result.stdout, command


def test_inspect_shows_bracketed_titles_as_written() -> None:
    template = Path(__file__).parents[1] / "runbook" / "data" / "runbook-template.md"
    result = opsbook("inspect", str(template))
    assert result.returncode == 0
    assert "issue problem-description: [Problem Description]" in result.stdout


def test_inspect_json_shows_no_credential(tmp_path: Path) -> None:
    path = tmp_path / "RUNBOOK.md"
    path.write_text(SECRET_RUNBOOK)
    result = opsbook("inspect", str(path), "--json")
    assert result.returncode == 0, result.stderr
    assert_no_canary(result.stdout + result.stderr)
    assert (
        json.loads(result.stdout)["settings"]["prometheus_url"] == "http://****@prom.example:9090"
    )


def test_check_says_when_nothing_was_read_and_keeps_a_prose_rto(tmp_path: Path) -> None:
    path = tmp_path / "disk-full.md"
    path.write_bytes(
        "\ufeff# Disk full\r\n\r\n## Disaster Recovery\r\n\r\n"
        "**RTO**: about half a day, depending on the vendor\r\n".encode()
    )
    result = opsbook("check", str(path))
    assert result.returncode == 0, result.stderr
    assert "✓" not in result.stdout
    assert "nothing in it was read: no procedures, steps or issues" in result.stdout
    assert 'the RTO "about half a day, depending on the vendor" names no duration' in (
        result.stdout
    )
