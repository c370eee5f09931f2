from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from opsbook.procedures.executors.process_start import process_started


def test_start_time_is_the_one_psutil_reads() -> None:
    assert process_started(os.getpid()) == pytest.approx(psutil.Process().create_time(), abs=0.01)


@pytest.mark.process
def test_start_time_of_a_process_with_spaces_and_parentheses_in_its_name(tmp_path: Path) -> None:
    # /proc shows the program's file name in parentheses; this one would break a naive split.
    program = tmp_path / "x) 1 2 (y"
    program.symlink_to(sys.executable)
    child = subprocess.Popen([str(program), "-c", "import time; time.sleep(5)"])
    try:
        assert "x) 1 2 (y" in Path(f"/proc/{child.pid}/stat").read_text()
        assert process_started(child.pid) == pytest.approx(
            psutil.Process(child.pid).create_time(), abs=0.01
        )
    finally:
        child.kill()
        child.wait()


@pytest.mark.process
def test_a_process_that_is_gone_raises_as_psutil_does() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    with pytest.raises(psutil.NoSuchProcess):
        process_started(child.pid)
