"""Output files (`render -o`, `export -o`) that cannot be written: exit 2 with a message, no
directory created, nothing half-written."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.procedures.cli_support import opsbook, recorded_runbook

QUICK = "### Quick Procedure\n\n**Steps**:\n1. Say: `echo hi`\n"


@pytest.fixture
def book(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    return recorded_runbook(tmp_path, QUICK, "quick")


@pytest.mark.parametrize("command", [["render"], ["render", "--format", "html"]])
def test_render_into_a_missing_directory_exits_2_and_creates_nothing(
    tmp_path: Path, book: tuple[Path, dict[str, str]], command: list[str]
) -> None:
    path, env = book
    target = tmp_path / "missing" / "out.md"
    done = opsbook(*command, str(path), "-o", str(target), env=env)
    assert done.returncode == 2, done.stderr
    assert f"the directory {target.parent} does not exist" in done.stderr
    assert "Traceback" not in done.stderr
    assert not target.parent.exists()


def test_render_onto_a_directory_exits_2_and_leaves_nothing(
    tmp_path: Path, book: tuple[Path, dict[str, str]]
) -> None:
    path, env = book
    target = tmp_path / "out"
    target.mkdir()
    done = opsbook("render", str(path), "-o", str(target), env=env)
    assert done.returncode == 2 and "it is a directory" in done.stderr, done.stderr
    assert list(target.iterdir()) == [] and sorted(p.name for p in tmp_path.glob(".*")) == []


def test_export_into_a_missing_directory_exits_2_and_creates_nothing(
    tmp_path: Path, book: tuple[Path, dict[str, str]]
) -> None:
    path, env = book
    target = tmp_path / "missing" / "rules.yml"
    done = opsbook("export", "prometheus-rules", str(path), "-o", str(target), env=env)
    assert done.returncode == 2 and "does not exist" in done.stderr, done.stderr
    assert not target.parent.exists()


def test_render_writes_the_whole_file_readable_as_any_file_and_nothing_else(
    tmp_path: Path, book: tuple[Path, dict[str, str]]
) -> None:
    path, env = book
    out = tmp_path / "out"
    out.mkdir()
    done = opsbook("render", str(path), "-o", str(out / "RUNBOOK.html"), "-f", "html", env=env)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in out.iterdir()] == ["RUNBOOK.html"]
    assert (out / "RUNBOOK.html").read_text().rstrip().endswith("</html>")
    assert stat.S_IMODE((out / "RUNBOOK.html").stat().st_mode) & 0o044  # not private like state
