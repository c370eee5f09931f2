"""`opsbook check` refuses what is not a runbook file at once: devices, FIFOs, folders with
no runbooks, files past the size limit, text that is not UTF-8; exit 2 with a message,
nothing read on."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from opsbook.runbook.loader import MAX_RUNBOOK_BYTES

pytestmark = pytest.mark.process


def check(path: Path | str) -> subprocess.CompletedProcess[str]:
    """Run `opsbook check` on the path; fail the test if it does not return within 10 s."""
    return subprocess.run(
        [sys.executable, "-m", "opsbook", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=10,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "OPSBOOK_PARSE_CACHE": "0"},
        stdin=subprocess.DEVNULL,
        check=False,
    )


def assert_refused(path: Path | str, reason: str) -> None:
    started = time.monotonic()
    done = check(path)
    assert time.monotonic() - started < 5
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{path}: {reason}" in done.stderr
    assert "Traceback" not in done.stderr


def test_dev_zero_is_refused_as_a_device() -> None:
    assert_refused("/dev/zero", "is a device, not a regular file")


def test_a_fifo_nobody_writes_to_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "RUNBOOK.md"
    os.mkfifo(fifo)
    assert_refused(fifo, "is a FIFO (named pipe), not a regular file")


def test_a_folder_without_runbooks_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not Markdown\n")
    assert_refused(tmp_path, "holds no Markdown files (*.md) to check")


@pytest.mark.parametrize("extra", [1, 100 * 2**20])
def test_a_file_over_the_size_limit_is_refused(tmp_path: Path, extra: int) -> None:
    big = tmp_path / "RUNBOOK.md"
    with big.open("wb") as file:  # sparse: the limit, not the disk, is what is tested
        file.truncate(MAX_RUNBOOK_BYTES + extra)
    assert_refused(big, "is larger than 1 MiB, the most a runbook may be")


def test_a_runbook_at_the_size_limit_is_read(tmp_path: Path) -> None:
    line = "Prose that fills the runbook up to its limit, line after line.\n"
    head = "# Big runbook\n\n## Purpose\n\n"
    body = line * ((MAX_RUNBOOK_BYTES - len(head)) // len(line))
    path = tmp_path / "RUNBOOK.md"
    path.write_text(head + body + " " * (MAX_RUNBOOK_BYTES - len(head) - len(body)))
    assert path.stat().st_size == MAX_RUNBOOK_BYTES
    done = check(path)
    assert done.returncode == 0, done.stderr


def test_text_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "RUNBOOK.md"
    path.write_bytes(b"# Title\n\xff\xfe\n")
    assert_refused(path, "is not UTF-8 text (byte 8: invalid start byte)")
