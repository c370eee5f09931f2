"""`opsbook maintenance list|run|done|history` in a new process, as a new user tries it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.process

BOOK = """# Web Runbook

## Maintenance Procedures

### Regular Maintenance Tasks

| Task | Frequency | Owner | Last Completed | Next Due | Command |
|------|-----------|-------|----------------|----------|---------|
| Backup (nightly) | Daily at 02:00 Europe/Berlin | ops | | | `echo backed up > backup.txt` |
| Broken task | Every 6 hours | ops | | | `echo no space >&2; exit 3` |
| Dependency updates | Monthly on the 1st | ana | | | |
| Security patches | As needed | sec | | | |

## Version History

| Version | Date | Author | Changes |
|---------|------|--------|---------|
| 1.0 | 2026-11-01 | ana | First |
"""


def opsbook(book: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPSBOOK_USER": "ana", "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("OPSBOOK_HOME", None)
    env.pop("OPSBOOK_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "opsbook", "maintenance", *args, "-f", str(book)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=book.parent,
    )


def data(book: Path, *args: str) -> Any:
    done = opsbook(book, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_list_run_done_history(tmp_path: Path) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(BOOK)
    tasks = data(book, "list")
    assert [t["kind"] for t in tasks] == ["command", "command", "person", "person"]
    assert tasks[0]["zone"] == "Europe/Berlin" and tasks[0]["next_due"].endswith("+00:00")
    assert tasks[3]["standing"] == "as needed" and tasks[3]["next_due"] is None

    ran = data(book, "run", "backup")
    assert ran["run"]["state"] == "succeeded" and ran["runbook_version"] == "1.1"
    assert (tmp_path / "backup.txt").read_text() == "backed up\n"
    text = book.read_text()
    assert "| 1.1 |" in text and "Backup (nightly): completed" in text

    failed = opsbook(book, "run", "Broken task")
    assert failed.returncode == 1
    assert "failed" in failed.stdout and "no space" in failed.stdout

    done = data(book, "done", "Dependency updates", "--note", "bumped 14 packages")
    assert done["run"]["actor"] == "ana" and done["run"]["detail"] == "bumped 14 packages"

    runs = data(book, "history")
    assert [(r["task"], r["state"]) for r in runs] == [
        ("dependency-updates", "succeeded"),
        ("broken-task", "failed"),
        ("backup-nightly", "succeeded"),
    ]
    assert runs[1]["exit_status"] == 3
    shown = opsbook(book, "history", "backup")
    assert shown.returncode == 0 and "backup-nightly succeeded cli by ana" in shown.stdout
    listed = opsbook(book, "list")
    assert "Dependency updates" in listed.stdout and "as needed" in listed.stdout


def test_an_unknown_task_or_a_bad_frequency_is_exit_2(tmp_path: Path) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(BOOK)
    missing = opsbook(book, "run", "Nope")
    assert missing.returncode == 2 and 'no maintenance task "Nope"' in missing.stderr
    book.write_text(BOOK.replace("Monthly on the 1st", "Daily at 02:00 Mars/Olympus"))
    bad = opsbook(book, "list")
    assert bad.returncode == 2 and "unknown time zone" in bad.stderr
    assert "RUNBOOK.md:" in bad.stderr


def test_due_lists_the_late_tasks_and_fails_when_one_is_overdue(tmp_path: Path) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(
        BOOK.replace(
            "| Dependency updates | Monthly on the 1st | ana | |",
            "| Dependency updates | Monthly on the 1st | ana | 2026-01-01 |",
        )
    )
    late = opsbook(book, "due", "--json")
    assert late.returncode == 1
    assert [t["key"] for t in json.loads(late.stdout)] == ["dependency-updates"]
    shown = opsbook(book, "due")
    assert "overdue Dependency updates: due" in shown.stdout
