"""One command-line grammar: `-f` names the runbook in every group (the old `-r` still
works, hidden), every list command takes --json and --limit, filters have one name each
(--status, --since, --procedure), and human output shows times as people read them."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from opsbook.cli.app import build
from opsbook.cli.options import since_moment
from opsbook.cli.runs import STATUSES
from opsbook.errors import BadInput
from opsbook.monitoring import service
from opsbook.monitoring.alertmanager import AmPayload
from opsbook.procedures.engine import RunStatus
from opsbook.runbook.parser import parse_runbook
from opsbook.store.database import Database
from tests.monitoring.conftest import am_alert, am_payload

NOW = datetime(2026, 12, 2, 13, 44, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def commands() -> list[tuple[str, Any]]:
    """Every command of the app, named as typed: `alerts list`, `run`, ..."""
    found: list[tuple[str, Any]] = []

    def walk(prefix: str, command: Any) -> None:
        if hasattr(command, "commands"):  # a group
            for name, sub in command.commands.items():
                walk(f"{prefix} {name}".strip(), sub)
        else:
            found.append((prefix, command))

    walk("", get_command(build()))
    return found


def options(command: Any) -> dict[str, Any]:
    return {opt: p for p in command.params for opt in getattr(p, "opts", [])}


def test_the_runbook_is_f_in_every_group_and_the_old_r_is_hidden() -> None:
    named = [(name, c) for name, c in commands() if "--runbook" in options(c)]
    assert len(named) > 20
    for name, command in named:
        given = options(command)
        assert given["--runbook"] is given["-f"], name
        old = given.get("-r")
        assert old is None or getattr(old, "hidden", False), name


def test_every_list_command_takes_json_and_limit() -> None:
    lists = [(name, c) for name, c in commands() if name.endswith(" list")]
    lists_made = {
        "alerts list",
        "runs list",
        "incidents list",
        "token list",
        "evidence list",
        "backup list",
        "dr list",
        "maintenance list",
    }
    assert {name for name, _ in lists} == lists_made
    for name, command in lists:
        assert {"--json", "--limit", "-n"} <= set(options(command)), name
    filters = {name: set(options(c)) & {"--status", "--since", "--procedure"} for name, c in lists}
    assert filters == {
        "alerts list": {"--status", "--since"},
        "runs list": {"--status", "--since", "--procedure"},
        "incidents list": {"--status", "--since"},
        "token list": set(),
        "evidence list": set(),
        "backup list": set(),
        "dr list": set(),
        "maintenance list": {"--status"},
    }


def test_run_statuses_offered_are_the_engines() -> None:
    assert tuple(s.value for s in RunStatus) == STATUSES


def test_since_reads_a_time_ago_or_a_moment() -> None:
    assert since_moment("2h", NOW) == NOW - timedelta(hours=2)
    assert since_moment("1 day ago", NOW) == NOW - timedelta(days=1)
    assert since_moment("2026-12-01", NOW) == datetime(2026, 12, 1, tzinfo=UTC)
    assert since_moment("2026-12-01T14:00+01:00", NOW).hour == 14
    for wrong in ("yesterday-ish", "99999999999999 weeks"):
        with pytest.raises(ValueError, match="a time ago"):
            since_moment(wrong, NOW)


@pytest.fixture
def book(tmp_path: Path, db: Database) -> Path:
    """A runbook whose state holds DiskFull (changed an hour ago) and CertExpiry (now)."""
    path = tmp_path / "RUNBOOK.md"
    path.write_text("# Shop Runbook\n")
    runbook = parse_runbook(path.read_text(), str(path))
    now = datetime.now(UTC)
    for i, name, at in ((1, "DiskFull", now - timedelta(hours=1)), (2, "CertExpiry", now)):
        payload = AmPayload.model_validate(am_payload([am_alert(i, name=name)]))
        service.ingest_alertmanager(db=db, payload=payload, runbook=runbook, now=at)
    return path


def cli(book: Path, *args: str) -> Any:
    env = {"OPSBOOK_HOME": str(book.parent / "state"), "OPSBOOK_USER": "ana", "NO_COLOR": "1"}
    return CliRunner().invoke(build(), list(args), env=env)


def test_alerts_list_filters_by_status_and_since_with_f_or_the_old_r(book: Path) -> None:
    both = cli(book, "alerts", "list", "-f", str(book), "--status", "all", "--json")
    assert both.exit_code == 0, both.output
    assert sorted(r["name"] for r in json.loads(both.stdout)) == ["CertExpiry", "DiskFull"]
    recent = cli(book, "alerts", "list", "-r", str(book), "--since", "30m", "--json")
    assert [r["name"] for r in json.loads(recent.stdout)] == ["CertExpiry"]
    old = cli(book, "alerts", "list", "-f", str(book), "--state", "firing", "--json")
    assert len(json.loads(old.stdout)) == 2
    wrong = cli(book, "alerts", "list", "-f", str(book), "--since", "whenever")
    assert wrong.exit_code == 2 and '--since "whenever"' in wrong.output


def test_human_output_reads_times_relative_and_json_keeps_iso(book: Path) -> None:
    human = cli(book, "alerts", "list", "-f", str(book)).stdout
    assert re.search(r"\d\d:\d\d \(\d+ days ago\)", human), human
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d", human)
    raw = cli(book, "alerts", "list", "-f", str(book), "--json").stdout
    assert re.search(r'"starts_at": "\d{4}-\d\d-\d\dT', raw)


def test_incidents_and_runs_lists_take_the_same_filters(tmp_path: Path, db: Database) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text((ROOT / "examples" / "tinyweb" / "RUNBOOK.md").read_text())
    opened = cli(book, "incidents", "open", "-s", "SEV-3", "-t", "Slow pages", "-f", str(book))
    assert opened.exit_code == 0, opened.output
    assert re.search(r"respond by \d\d:\d\d \(in (3 h 59 min|4 h)\)", opened.stdout), opened.stdout

    def listed(*args: str) -> list[Any]:
        result = cli(book, "incidents", "list", "-f", str(book), "--json", *args)
        assert result.exit_code == 0, result.output
        return list(json.loads(result.stdout))

    assert len(listed("--status", "open", "--since", "10m")) == 1
    assert listed("--since", "2999-01-01") == []
    assert len(listed("--open", "--limit", "1")) == 1
    wrong = cli(book, "incidents", "list", "-f", str(book), "--status", "burning")
    assert wrong.exit_code == 2 and "open, all" in wrong.output
    runs = cli(book, "runs", "list", "-f", str(book), "--status", "failed", "--since", "1h")
    assert runs.exit_code == 0 and "No runs" in runs.stdout
    bad = cli(book, "runs", "list", "-f", str(book), "--status", "exploded")
    assert bad.exit_code == 2 and "succeeded" in bad.output


def test_a_long_list_says_how_to_ask_for_the_next_page(book: Path) -> None:
    first = cli(book, "alerts", "list", "-f", str(book), "--status", "all", "-n", "1", "--json")
    assert first.exit_code == 0, first.output
    assert [r["name"] for r in json.loads(first.stdout)] == ["CertExpiry"]  # stdout stays JSON
    hint = re.search(r"1 of 2 shown; next page: --cursor (\S+)", first.stderr)
    assert hint, first.stderr
    rest = cli(
        book,
        "alerts",
        "list",
        "-f",
        str(book),
        "--status",
        "all",
        "-n",
        "1",
        "--cursor",
        hint.group(1),
    )
    assert "DiskFull" in rest.stdout and "CertExpiry" not in rest.stdout
    assert "next page" not in rest.stderr
    bad = cli(book, "alerts", "list", "-f", str(book), "--cursor", "nope")
    assert isinstance(bad.exception, BadInput)  # main maps it: exit 2, message and hint
    assert "cursor is not one opsbook gave" in str(bad.exception)
