"""An error keeps `FILE:LINE` and its message on one line however narrow the terminal, so
an editor or a grep finds it (a real `opsbook` process at COLUMNS=20)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.process

OPSBOOK = str(Path(sys.executable).parent / "opsbook")


def _opsbook(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "20", "OPSBOOK_HOME": str(tmp_path / "state")}
    return subprocess.run(
        [OPSBOOK, *args], env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )


def test_a_runs_missing_parameter_is_named_on_one_line(tmp_path: Path) -> None:
    book = tmp_path / "deploy-runbook-with-a-long-name.md"
    book.write_text(
        "# R\n\n## Deploy Procedure\n\n**Steps**:\n1. Go: `echo to <environment_name>`\n"
    )
    done = _opsbook(tmp_path, "run", str(book), "deploy", "--yes")
    assert done.returncode == 2
    [line] = [ln for ln in done.stderr.splitlines() if f"{book}:6:" in ln]
    assert "environment_name" in line


def test_a_bad_runbook_in_a_folder_is_named_on_one_line(tmp_path: Path) -> None:
    (tmp_path / "books").mkdir()
    bad = tmp_path / "books" / "thresholds-of-the-queue.md"
    bad.write_text(
        "# Q\n\n## Alert Thresholds\n\n| Metric | Warning | Critical | Action |\n"
        "|---|---|---|---|\n| depth | > lots | > 90 | notify: x |\n"
    )
    done = _opsbook(tmp_path, "check", str(tmp_path / "books"))
    assert done.returncode == 2
    [line] = [ln for ln in done.stdout.splitlines() if f"{bad}:7:" in ln]
    assert "> lots" in line
