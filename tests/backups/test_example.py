"""The example system (examples/tinyweb) as a user meets it: its runbook's backup made,
listed and drilled from the command line, and a DR drill on the scratch target that reports
measured RTO and RPO beside the runbook's targets."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.backups.conftest import need

pytestmark = pytest.mark.process

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tinyweb"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the example, its DR target on a free port, with a few items of data."""
    need("zstd")
    folder = tmp_path / "tinyweb"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("var", ".opsbook"))
    runbook = folder / "RUNBOOK.md"
    runbook.write_text(
        runbook.read_text().replace('TINYWEB_PORT: "8766"', f'TINYWEB_PORT: "{_free_port()}"')
    )
    items = folder / "var/data/items"
    items.mkdir(parents=True)
    for index in range(5):
        (items / f"item-{index}.json").write_text(json.dumps({"id": f"item-{index}", "n": index}))
    return folder


def _opsbook(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OPSBOOK_HOME": str(folder / ".opsbook"),
        "TINYWEB_PORT": str(_free_port()),
    }
    return subprocess.run(
        [sys.executable, "-m", "opsbook", *args, "-f", "RUNBOOK.md"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_example_backup_is_run_listed_drilled_and_watched_from_the_cli(example: Path) -> None:
    ran = _opsbook(example, "backup", "run", "data", "--json")
    assert ran.returncode == 0, ran.stderr
    made = json.loads(ran.stdout)
    assert made["state"] == "ok" and made["files"] == 5 and made["driver"] == "archive"
    drilled = _opsbook(example, "backup", "drill", "data", "--json")
    assert drilled.returncode == 0, drilled.stderr
    assert json.loads(drilled.stdout)["matched"] == 5
    listed = json.loads(_opsbook(example, "backup", "list", "--json").stdout)
    assert [(b["id"], b["state"], b["drilled"]) for b in listed] == [(made["id"], "ok", "passed")]
    status = _opsbook(example, "backup", "status")
    assert status.returncode == 0 and "RPO 1 day" in status.stdout
    human = _opsbook(example, "backup", "list").stdout
    assert "archive, drill passed" in human


def test_an_unknown_backup_name_is_bad_input_naming_the_ones_there_are(example: Path) -> None:
    ran = _opsbook(example, "backup", "run", "nope")
    assert ran.returncode == 2
    assert 'no backup "nope"' in ran.stderr and "data" in ran.stderr


def test_a_dr_drill_on_the_example_reports_measured_rto_and_rpo_beside_the_targets(
    example: Path,
) -> None:
    subprocess.run(["bin/tinyweb", "backup"], cwd=example, capture_output=True, check=True)
    first = _opsbook(example, "dr", "drill", "--json")  # writes the first canary
    assert first.returncode == 0, first.stdout + first.stderr
    assert json.loads(first.stdout)["rpo_seconds"] is None  # no backup holds a canary yet
    backup = subprocess.run(
        ["bin/tinyweb", "backup"], cwd=example, capture_output=True, check=False
    )
    assert backup.returncode == 0, backup.stderr
    second = _opsbook(example, "dr", "drill", "--json")
    assert second.returncode == 0, second.stdout + second.stderr
    report = json.loads(second.stdout)
    assert report["state"] == "passed"
    assert 0 < report["rto_seconds"] < 60 and report["rto_target"] == 15 * 60
    assert report["rpo_seconds"] > 0 and report["rpo_target"] == 24 * 3600
    outcomes = [s["outcome"] for s in report["steps"]]
    assert outcomes == ["manual"] + ["passed"] * 6
    assert "RTO measured:" in report["report"] and "(target 15 min: met)" in report["report"]
    assert "RPO measured:" in report["report"] and "(target 1 day: met)" in report["report"]
    shown = _opsbook(example, "dr", "show", str(report["id"]))
    assert "| 4 | Restore it over the data directory" in shown.stdout
    # The live data was never touched: the recovery went to the scratch target.
    assert not (example / "var/data.previous").exists()
