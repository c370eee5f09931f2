"""`opsbook alerts ...` and `opsbook export prometheus-rules` as a user runs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from opsbook.monitoring import service
from opsbook.monitoring.alertmanager import AmPayload
from opsbook.runbook.model import Runbook
from opsbook.store.database import open_database
from tests.monitoring.conftest import am_alert, am_payload

pytestmark = pytest.mark.process

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "tinyweb" / "RUNBOOK.md"


def opsbook(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPSBOOK_HOME": str(home), "OPSBOOK_USER": "ana", "NO_COLOR": "1"}
    env.pop("OPSBOOK_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "opsbook", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )


@pytest.fixture
def stored(tmp_path: Path, runbook: Runbook, runbook_file: Path) -> Path:
    """A state directory holding two Alertmanager alerts."""
    home = tmp_path / "home"
    db = open_database(f"sqlite:///{home / 'opsbook.db'}")
    payload = AmPayload.model_validate(am_payload([am_alert(1), am_alert(2, name="CertExpiry")]))
    service.ingest_alertmanager(db=db, payload=payload, runbook=runbook, now=datetime.now(UTC))
    db.dispose()
    return home


def test_list_ack_and_silence_with_json(stored: Path, runbook_file: Path) -> None:
    listed = opsbook("alerts", "list", "-r", str(runbook_file), "--json", home=stored)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert sorted(r["name"] for r in rows) == ["CertExpiry", "DiskFull"]
    disk = next(r for r in rows if r["name"] == "DiskFull")
    acked = opsbook(
        "alerts", "ack", str(disk["id"]), "-r", str(runbook_file), "--json", home=stored
    )
    assert acked.returncode == 0 and json.loads(acked.stdout)["acknowledged_by"] == "ana"
    again = opsbook("alerts", "ack", str(disk["id"]), "-r", str(runbook_file), home=stored)
    assert again.returncode == 1 and "already acknowledged" in again.stderr
    muted = opsbook(
        "alerts",
        "silence",
        'alertname="CertExpiry"',
        "--for",
        "2h",
        "-m",
        "renewing",
        "-r",
        str(runbook_file),
        "--json",
        home=stored,
    )
    assert muted.returncode == 0 and len(json.loads(muted.stdout)["silenced_alerts"]) == 1
    human = opsbook("alerts", "list", "--state", "all", "-r", str(runbook_file), home=stored)
    assert "silenced" in human.stdout and "acknowledged" in human.stdout
    history = json.loads(
        opsbook(
            "alerts", "show", str(disk["id"]), "-r", str(runbook_file), "--json", home=stored
        ).stdout
    )["history"]
    assert [(e["kind"], e["actor"]) for e in history] == [("acknowledged", "ana")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["alerts", "silence", "nonsense", "--for", "2h"], "NAME=VALUE"),
        (["alerts", "silence", "a=b", "--for", "whenever"], "--for"),
        (["alerts", "silence", "a=b", "--for", "99999999999999 weeks"], "366 days"),
        (["alerts", "silence", "a=~" + "(" * 5000 + ")" * 5000, "--for", "2h"], "at most 1000"),
        (["alerts", "silence", r"a=~(x)\1", "--for", "2h"], "RE2 syntax"),
        (["alerts", "list", "--state", "burning"], "--status"),
        (["alerts", "ack", "999"], "no alert 999"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    stored: Path, runbook_file: Path, args: list[str], message: str
) -> None:
    result = opsbook(*args, "-r", str(runbook_file), home=stored)
    assert result.returncode == 2 and message in result.stderr


def test_export_writes_rules_with_for_severity_and_runbook_url(tmp_path: Path) -> None:
    out = tmp_path / "rules.yml"
    result = opsbook(
        "export",
        "prometheus-rules",
        str(EXAMPLE),
        "-o",
        str(out),
        "--dashboard-url",
        "https://ops.example.com",
        "--json",
        home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["exported"] == ["Request rate"] and summary["rules"] == 2
    [group] = yaml.safe_load(out.read_text())["groups"]
    warning, critical = group["rules"]
    assert warning["expr"] == "(sum(rate(tinyweb_requests_total[5m]))) > 50"
    assert (warning["for"], warning["labels"]["severity"]) == ("10m", "warning")
    assert critical["labels"]["severity"] == "critical"
    assert warning["annotations"]["runbook_url"] == (
        "https://ops.example.com/monitoring#m-request-rate"
    )


def test_export_links_the_troubleshooting_page_of_the_metric(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace(
        "- The Disk usage alert fires", "- The Disk usage alert fires\n- Request rate drops"
    )
    path = tmp_path / "RUNBOOK.md"
    path.write_text(text)
    result = opsbook("export", "prometheus-rules", str(path), home=tmp_path)
    rules = yaml.safe_load(result.stdout)["groups"][0]["rules"]
    assert rules[0]["annotations"]["runbook_url"].endswith("/troubleshooting/disk-filling-up")


def test_promtool_accepts_the_exported_rules(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI") == "true":
            pytest.fail("promtool is missing (Debian package prometheus); make test installs it")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    out = tmp_path / "rules.yml"
    assert (
        opsbook(
            "export", "prometheus-rules", str(EXAMPLE), "-o", str(out), home=tmp_path
        ).returncode
        == 0
    )
    check = subprocess.run(
        [promtool, "check", "rules", str(out)], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS: 2 rules found" in check.stdout


def test_export_of_a_broken_runbook_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "RUNBOOK.md"
    path.write_text(EXAMPLE.read_text().replace("| > 50 | > 200 |", "| > lots | > 200 |"))
    out = tmp_path / "rules.yml"
    result = opsbook("export", "prometheus-rules", str(path), "-o", str(out), home=tmp_path)
    assert result.returncode == 2 and "lots" in result.stderr
    assert not out.exists()
