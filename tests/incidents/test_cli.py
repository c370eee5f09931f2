"""`opsbook incidents ...` as a user runs it: real processes, real SQLite, real SMTP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.incidents.cli import cli, cli_json
from tests.incidents.smtp import Mailbox

pytestmark = pytest.mark.process


def _with_email(book_path: Path, box: Mailbox) -> Path:
    text = book_path.read_text()
    text = text.replace(
        "monitoring:\n",
        f"notifications:\n  email:\n    host: {box.host}\n"
        f"    port: {box.port}\n    from: opsbook@example.com\nmonitoring:\n",
        1,
    )
    book_path.write_text(text)
    return book_path


def test_open_list_show_ack_resolve_close_in_json(book_path: Path, smtp: Mailbox) -> None:
    book = _with_email(book_path, smtp)
    opened = cli_json(book, "open", "--severity", "sev2", "--title", "Items missing")
    for key in (
        "id",
        "title",
        "severity",
        "status",
        "security",
        "opened_at",
        "respond_by",
        "acknowledged_at",
        "resolved_at",
        "timeline",
    ):
        assert key in opened
    assert opened["severity"] == "SEV-2" and opened["status"] == "detected"
    assert opened["security"] is False and opened["acknowledged_at"] is None
    assert [m["To"] for m in smtp.messages] == ["Ana Ruiz <ana.ruiz@example.com>"]
    incident_id = str(opened["id"])
    assert [i["id"] for i in cli_json(book, "list", "--open")] == [opened["id"]]
    acked = cli_json(book, "ack", incident_id, user="sam")
    assert acked["status"] == "acknowledged" and acked["acknowledged_by"] == "sam"
    cli_json(book, "note", incident_id, "quarantined two files", "--kind", "resolution")
    resolved = cli_json(book, "resolve", incident_id, "--note", "fsck --quarantine")
    assert resolved["resolved_at"] is not None
    again = cli(book, "ack", incident_id)
    assert again.returncode == 1 and "does not reopen" in again.stderr
    assert cli_json(book, "close", incident_id)["status"] == "closed"
    shown = cli_json(book, "show", incident_id)
    assert [e["kind"] for e in shown["timeline"]] == [
        "opened",
        "triage",
        "page",
        "page-sent",
        "acknowledged",
        "resolution",
        "resolved",
        "closed",
    ]
    assert shown["phase"] == "Post-Mortem"
    assert shown["suggestions"][0]["issue"] == "items-missing-or-unreadable"
    assert cli_json(book, "list", "--open") == []


def test_bad_input_exits_2_and_writes_nothing(book_path: Path) -> None:
    bad = cli(book_path, "open", "--severity", "SEV-9", "--title", "x")
    assert bad.returncode == 2 and "SEV-9" in bad.stderr and "SEV-1, SEV-2" in bad.stderr
    missing = cli(book_path, "show", "42")
    assert missing.returncode == 2 and "no incident 42" in missing.stderr
    assert cli_json(book_path, "list") == []


def test_security_incident_refuses_shutdown_and_admin_forces_it(book_path: Path) -> None:
    log = book_path.parent / "var" / "state" / "tinyweb.log"
    log.parent.mkdir(parents=True)
    log.write_text("03:00 login from 203.0.113.9\n")
    opened = cli_json(book_path, "open", "-s", "SEV-1", "-t", "Odd logins", "--security")
    assert opened["security"] is True
    assert opened["evidence"][0]["source"] == "var/state/tinyweb.log"
    digest = opened["evidence"][0]["sha256"]
    stored = book_path.parent / ".state" / "evidence" / "sha256" / digest[:2] / digest
    assert opened["evidence"][0]["stored_as"] == str(stored)
    assert stored.read_text() == log.read_text()
    env = {**os.environ, "OPSBOOK_HOME": str(book_path.parent / ".state"), "NO_COLOR": "1"}
    refused = subprocess.run(
        [sys.executable, "-m", "opsbook", "run", str(book_path), "shutdown", "--yes"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert refused.returncode != 0
    assert "DO NOT shut down systems — preserve evidence" in refused.stdout + refused.stderr
    forced = cli(
        book_path,
        "force-run",
        str(opened["id"]),
        "shutdown",
        "--reason",
        "the disk is being wiped",
        "--yes",
        "--json",
        user="lena",
    )
    assert forced.returncode in (0, 1), forced.stderr  # tinyweb is not running here
    shown = cli_json(book_path, "show", str(opened["id"]))
    forced_events = [e for e in shown["timeline"] if e["kind"] == "forced"]
    assert forced_events[0]["actor"] == "lena"
    assert forced_events[0]["text"].endswith("the disk is being wiped")
    assert shown["timeline"][-1]["kind"] == "run"


def test_postmortem_and_update_runbook(book_path: Path) -> None:
    opened = cli_json(book_path, "open", "-s", "SEV-3", "-t", "Backups fail once a week")
    incident_id = str(opened["id"])
    raised = cli_json(book_path, "severity", incident_id, "SEV-2")
    assert raised["severity"] == "SEV-2" and raised["respond_by"] < opened["respond_by"]
    update = cli_json(book_path, "update", incident_id, "Looking at the cron")
    assert update["kind"] == "status-update"
    assert cli_json(book_path, "escalate") == {"queued": 0}  # nothing due yet
    cli_json(book_path, "note", incident_id, "cron overlaps the prune", "--kind", "root-cause")
    cli_json(book_path, "action", incident_id, "Move the prune to 04:00", "--owner", "Lena Vogel")
    cli_json(book_path, "resolve", incident_id)
    out = book_path.parent / "pm.md"
    result = cli_json(book_path, "postmortem", incident_id, "-o", str(out), "--update-runbook")
    assert result["path"] == str(out) and result["runbook"]["version"] == "1.1"
    text = out.read_text()
    assert "- cron overlaps the prune (ana" in text
    assert "| 1 | Move the prune to 04:00 | Lena Vogel | open |" in text
    assert "#### Issue: Backups fail once a week" in book_path.read_text()
    check = subprocess.run(
        [sys.executable, "-m", "opsbook", "check", str(book_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr
