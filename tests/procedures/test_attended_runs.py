"""The engine does exactly what step_safety decides: through the real CLI, on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.procedures.cli_support import cli_env, converse, opsbook, run_json, write_runbook

pytestmark = pytest.mark.process

CLEANUP_BOOK = """
### Cleanup Procedure

**Steps**:
1. Note the start: `echo start >> log.txt`
2. Remove the old build tree: `rm -rf old-build`
3. Note the end: `echo end >> log.txt`
"""


def test_yes_does_not_run_a_changing_step_the_runbook_did_not_mark(tmp_path: Path) -> None:
    (tmp_path / "old-build").mkdir()
    book = write_runbook(tmp_path, CLEANUP_BOOK)
    env = cli_env(tmp_path / "state")
    done = opsbook("run", str(book), "cleanup", "--yes", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        'step 2/3 "Remove the old build tree" waits for a person (it changes things (rm -r)'
        in done.stdout
    )
    assert (tmp_path / "old-build").is_dir(), "--yes must not remove it"
    assert (tmp_path / "log.txt").read_text() == "start\n"
    assert run_json("runs", "show", "1", env=env)["status"] == "waiting"


def test_a_step_marked_unattended_runs_without_anyone(tmp_path: Path) -> None:
    (tmp_path / "old-build").mkdir()
    book = write_runbook(
        tmp_path, CLEANUP_BOOK.replace("`rm -rf old-build`", "`rm -rf old-build` {unattended}")
    )
    done = opsbook("run", str(book), "cleanup", env=cli_env(tmp_path / "state"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (tmp_path / "old-build").exists()
    assert (tmp_path / "log.txt").read_text() == "start\nend\n"


def test_a_person_at_the_terminal_says_yes_to_a_changing_step(tmp_path: Path) -> None:
    (tmp_path / "old-build").mkdir()
    book = write_runbook(tmp_path, CLEANUP_BOOK)
    env = cli_env(tmp_path / "state", TERM="xterm")
    code, screen = converse(["run", str(book), "cleanup", "--yes"], env, ["c"])
    assert code == 0, screen
    assert "$ rm -rf old-build" in screen and "it changes things (rm -r)" in screen
    assert not (tmp_path / "old-build").exists()


def test_a_step_for_another_place_is_done_there_and_never_run_here(tmp_path: Path) -> None:
    book = write_runbook(
        tmp_path,
        """
### Inspect Procedure

**Steps**:
1. Look at the database from its prompt:

   ```sh
   psql -h db.internal
   \\! touch ran-here
   \\q
   ```

2. Note it: `echo noted >> log.txt`
""",
    )
    env = cli_env(tmp_path / "state", TERM="xterm")
    code, screen = converse(["run", str(book), "inspect"], env, ["c"])
    assert code == 0, screen
    assert "opens the psql prompt" in screen and "Done?" in screen
    assert not (tmp_path / "ran-here").exists()
    assert (tmp_path / "log.txt").read_text() == "noted\n"
    run = run_json("runs", "show", "1", env=env)
    assert run["confirmations"][0]["decision"] == "confirmed"


def test_dry_run_says_for_every_item_who_and_why(tmp_path: Path) -> None:
    book = write_runbook(
        tmp_path,
        CLEANUP_BOOK
        + "4. Follow the log: `tail -f log.txt`\n5. Tell the team\n"
        + "6. If it failed, retry: `echo retry` \n",
    )
    env = cli_env(tmp_path / "state")
    done = opsbook("run", str(book), "cleanup", "--dry-run", "--json", env=env)
    items = json.loads(done.stdout)["items"]
    assert [i["who"] for i in items] == [
        "unattended",
        "ask",
        "unattended",
        "person",
        "confirm",
        "ask",
    ]
    assert "rm -r" in items[1]["why"] and "tail -f" in items[3]["why"]
    assert all(i["timeout"] == 600 for i in items)
    text = opsbook("run", str(book), "cleanup", "--dry-run", env=env).stdout
    assert "asks a person first (not --yes): it changes things (rm -r); mark it" in text
    assert "a person does it (never run here): tail -f follows" in text


def test_every_command_stops_at_the_runbook_s_default_timeout(tmp_path: Path) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(
        "---\ntimeout: 1s\n---\n# Slow\n\n## Standard Operating Procedures\n\n"
        "### Slow Procedure\n\n**Steps**:\n1. Wait: `sleep 30`\n",
        encoding="utf-8",
    )
    done = opsbook("run", str(book), "slow", env=cli_env(tmp_path / "state"), timeout=30)
    assert done.returncode == 1 and "timed out after 1s" in done.stdout


def test_diagnosis_of_an_alert_runbook_never_changes_things_by_itself(tmp_path: Path) -> None:
    (tmp_path / "cache").mkdir()
    book = tmp_path / "cache-full.md"
    book.write_text(
        "# CacheFull\n\n## Meaning\n\nThe cache disk is full.\n\n## Diagnosis\n\n"
        "- How full it is: `du -s cache`\n"
        "- Empty it to see whether it fills again: `rm -rf cache` {unattended}\n",
        encoding="utf-8",
    )
    env = cli_env(tmp_path / "state")
    done = opsbook("run", str(book), "cachefull:diagnosis", "--yes", env=env)
    assert done.returncode == 1 and "waits for a person" in done.stdout
    assert (tmp_path / "cache").is_dir()
