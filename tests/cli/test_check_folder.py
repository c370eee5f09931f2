"""`opsbook check DIR`: a folder of runbooks, a line per file and a summary; a file that
gave nothing is said to, a file that cannot be read is named with its line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from opsbook.cli.app import build

ALERT = """---
title: Disk full
---
# Disk full

## Troubleshooting Guide

#### Issue: Disk full

**Diagnosis Steps**:
1. See what is big: `du -sh /var/log`
2. Clear the old logs: `rm -rf /var/log/old`
"""


def cli(*args: str) -> Any:
    return CliRunner().invoke(build(), ["check", *args], env={"NO_COLOR": "1"})


def folder(tmp_path: Path) -> Path:
    root = tmp_path / "runbooks"
    (root / "alerts").mkdir(parents=True)
    (root / "alerts" / "disk-full.md").write_text(ALERT)
    (root / "notes.md").write_text("# Notes\n\nNothing to run here.\n")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD.md").write_text("# not a runbook\n")
    return root


def test_a_folder_is_read_file_by_file_with_who_each_step_waits_for(tmp_path: Path) -> None:
    result = cli(str(folder(tmp_path)))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("✓ ") and lines[0].endswith(
        "disk-full.md: 1 issues, 0 procedures, 1 steps run by themselves, "
        "1 wait for a person, 0 parameters"
    )
    assert lines[1].startswith("! ") and "notes.md: nothing in it was read" in lines[1]
    assert "HEAD.md" not in result.stdout  # tool folders are skipped
    assert lines[2].startswith("2 files; 0 unreadable; 1 nothing read; 1 issues")


def test_an_unreadable_file_is_named_with_its_line_and_the_check_fails(tmp_path: Path) -> None:
    root = folder(tmp_path)
    (root / "bad.md").write_text("---\nmonitoring: [1\n---\n# Bad\n")
    result = cli(str(root), "--json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    [bad] = [f for f in data["files"] if f["problems"]]
    assert (
        bad["path"].endswith("bad.md")
        and ":2: front matter is not valid YAML" in (bad["problems"][0])
    )
    assert data["summary"]["files"] == 3 and data["summary"]["unreadable"] == 1


def test_several_files_are_checked_together_and_a_missing_one_is_refused(
    tmp_path: Path,
) -> None:
    root = folder(tmp_path)
    both = cli(str(root / "notes.md"), str(root / "alerts" / "disk-full.md"))
    assert both.exit_code == 0 and "2 files" in both.stdout
    missing = cli(str(root / "notes.md"), str(root / "gone.md"))
    assert missing.exit_code == 2 and "gone.md: no such file or folder" in missing.output
