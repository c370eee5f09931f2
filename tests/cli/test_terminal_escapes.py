"""Escape sequences in text from outside reach the terminal only as visible escapes.

Incident titles, alert names and summaries, step text and run output carry ESC (CSI clear
screen, OSC window title), BEL, a one-byte C1 CSI and a right-to-left override. Human output
shows them as `\\x1b[2J` and the like, on every path (Rich tables, Rich lines, plain lines);
`--json` keeps the exact text.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsbook.cli.output import visible
from opsbook.monitoring import service
from opsbook.monitoring.alertmanager import AmPayload
from opsbook.runbook.parser import parse_runbook
from opsbook.store.database import open_database
from tests.monitoring.conftest import RUNBOOK as ALERTS_RUNBOOK
from tests.monitoring.conftest import am_alert, am_payload
from tests.procedures.cli_support import write_runbook

HOSTILE = "T\x1b[2J\x1b[Hitle\x07 \x1b]0;pwned\x07 \x9b31m \u202eevil"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")
# Rich markup in outside text: a closing tag with nothing open raised MarkupError.
MARKUP = "[/x] [bold]loud[/bold]"
SHOWN = "T\\x1b[2J\\x1b[Hitle\\x07 \\x1b]0;pwned\\x07 \\x9b31m \\u202eevil"


def opsbook(*args: str, home: Path, color: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOOK_")}
    env.update(OPSBOOK_HOME=str(home), OPSBOOK_USER="ana", COLUMNS="400")
    env["XDG_CACHE_HOME"] = str(home / "cache")
    # NO_COLOR: any ESC in the output came from the text. FORCE_COLOR: Rich's terminal path.
    env.update({"FORCE_COLOR": "1"} if color else {"NO_COLOR": "1"})
    return subprocess.run(
        [sys.executable, "-m", "opsbook", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def assert_shown_escaped(output: str) -> None:
    assert SHOWN in output, output
    for raw in RAW:
        assert raw not in output, (raw, output)


def test_visible_escapes_controls_and_keeps_newlines_tabs_and_text() -> None:
    assert visible(HOSTILE) == SHOWN
    assert visible("a\tb\nc é ✓ [x]") == "a\tb\nc é ✓ [x]"
    assert visible("\r\x00\x7f") == "\\x0d\\x00\\x7f"


@pytest.mark.process
def test_incident_titles_are_escaped_in_list_and_show_and_exact_in_json(tmp_path: Path) -> None:
    book = write_runbook(tmp_path, "### Quick Procedure\n\n**Steps**:\n1. Say: `echo hi`\n")
    home, runbook = tmp_path / "state", str(book)
    opened = opsbook("incidents", "open", "-s", "SEV-3", "-t", HOSTILE, "-f", runbook, home=home)
    assert opened.returncode == 0, opened.stderr
    assert_shown_escaped(opened.stdout)
    for args in (("incidents", "list"), ("incidents", "show", "1")):
        assert_shown_escaped(opsbook(*args, "-f", runbook, home=home).stdout)
        colored = opsbook(*args, "-f", runbook, home=home, color=True).stdout
        assert SHOWN in colored and "\x1b[2J" not in colored and "\x1b]0;" not in colored
    data = json.loads(opsbook("incidents", "show", "1", "-f", runbook, "--json", home=home).stdout)
    assert data["title"] == HOSTILE


@pytest.fixture
def alert_home(tmp_path: Path) -> tuple[Path, Path]:
    """A state directory holding one alert whose name and summary are hostile."""
    path = tmp_path / "RUNBOOK.md"
    path.write_text(ALERTS_RUNBOOK)
    home = tmp_path / "home"
    db = open_database(f"sqlite:///{home / 'opsbook.db'}")
    alert = am_alert(1, name=HOSTILE)
    alert["annotations"]["summary"] = f"{HOSTILE} {MARKUP}"
    service.ingest_alertmanager(
        db=db,
        payload=AmPayload.model_validate(am_payload([alert])),
        runbook=parse_runbook(ALERTS_RUNBOOK, str(path)),
        now=datetime.now(UTC),
    )
    db.dispose()
    return path, home


@pytest.mark.process
def test_alert_names_are_escaped_in_the_table_and_exact_in_json(
    alert_home: tuple[Path, Path],
) -> None:
    path, home = alert_home
    listed = opsbook("alerts", "list", "-r", str(path), home=home)
    assert listed.returncode == 0, listed.stderr
    shown = opsbook("alerts", "show", "1", "-r", str(path), home=home)
    assert shown.returncode == 0, shown.stderr
    for output in (listed.stdout, shown.stdout):
        assert_shown_escaped(output)
        assert MARKUP in output  # shown as written, not read as Rich markup
    rows = json.loads(opsbook("alerts", "list", "-r", str(path), "--json", home=home).stdout)
    assert rows[0]["name"] == HOSTILE


@pytest.mark.process
def test_step_text_and_run_output_are_escaped_live_and_in_runs_show(tmp_path: Path) -> None:
    printed = (
        "printf 'T\\033[2J\\033[Hitle\\007 \\033]0;pwned\\007 \\302\\23331m "
        "\\342\\200\\256evil'; exit 3"
    )
    book = write_runbook(
        tmp_path, f"### Quick Procedure\n\n**Steps**:\n1. Print {HOSTILE}: `{printed}`\n"
    )
    home = tmp_path / "state"
    ran = opsbook("run", str(book), "quick", home=home)
    assert ran.returncode == 1, ran.stdout + ran.stderr  # failed: its output is shown
    assert_shown_escaped(ran.stdout)
    assert ran.stdout.count(SHOWN) >= 2, ran.stdout  # the step's text, and its output
    shown = opsbook("runs", "show", "1", "--runbook", str(book), home=home)
    assert_shown_escaped(shown.stdout)
    as_json = opsbook("runs", "show", "1", "--runbook", str(book), "--json", home=home)
    data = json.loads(as_json.stdout)
    attempt = data["attempts"][0]
    assert attempt["stdout"] == HOSTILE and HOSTILE in attempt["text"]


@pytest.mark.process
def test_plain_error_lines_are_escaped(tmp_path: Path) -> None:
    missing = tmp_path / f"{HOSTILE}.md"
    done = opsbook("check", str(missing), home=tmp_path / "state")
    assert done.returncode == 2
    assert_shown_escaped(done.stderr)
