"""Output files (`render -o`, `export -o`) that cannot be written: exit 2 with a message, no
directory created, nothing half-written."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.procedures.cli_support import opsbook, recorded_runbook

pytestmark = pytest.mark.process

QUICK = "### Quick Procedure\n\n**Steps**:\n1. Say: `echo hi`\n"


@pytest.fixture
def book(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    return recorded_runbook(tmp_path, QUICK, "quick")


@pytest.mark.parametrize(
    "command",
    [
        ["render", "BOOK"],
        ["render", "BOOK", "--format", "html"],
        ["export", "prometheus-rules", "BOOK"],
    ],
)
def test_output_into_a_missing_directory_exits_2_and_creates_nothing(
    tmp_path: Path, book: tuple[Path, dict[str, str]], command: list[str]
) -> None:
    path, env = book
    target = tmp_path / "missing" / "out.txt"
    argv = [str(path) if word == "BOOK" else word for word in command]
    done = opsbook(*argv, "-o", str(target), env=env)
    assert done.returncode == 2, done.stderr
    assert f"the directory {target.parent} does not exist" in done.stderr
    assert "Traceback" not in done.stderr
    assert not target.parent.exists()


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An empty directory to write into."""
    directory = tmp_path / "out"
    directory.mkdir()
    return directory


def test_render_onto_a_directory_exits_2_and_leaves_nothing(
    tmp_path: Path, book: tuple[Path, dict[str, str]], out: Path
) -> None:
    done = opsbook("render", str(book[0]), "-o", str(out), env=book[1])
    assert done.returncode == 2 and "it is a directory" in done.stderr, done.stderr
    assert list(out.iterdir()) == [] and sorted(p.name for p in tmp_path.glob(".*")) == []


def test_render_writes_the_whole_file_readable_as_any_file_and_nothing_else(
    book: tuple[Path, dict[str, str]], out: Path
) -> None:
    target = str(out / "RUNBOOK.html")
    done = opsbook("render", str(book[0]), "-o", target, "-f", "html", env=book[1])
    assert done.returncode == 0, done.stderr
    assert [p.name for p in out.iterdir()] == ["RUNBOOK.html"]
    assert (out / "RUNBOOK.html").read_text().rstrip().endswith("</html>")
    assert stat.S_IMODE((out / "RUNBOOK.html").stat().st_mode) & 0o044  # not private like state
