"""The lifeline's watcher (a real bash): when the pipe ends without a goodbye it kills the
watched sessions but their spared groups; a goodbye kills nothing; a dead watcher is replaced."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from opsbook.procedures.executors.lifeline import Lifeline
from tests.procedures.test_kill_nine import alive

pytestmark = pytest.mark.process

# A session like a step's: its leader, a job in a group of its own, and one spared.
SESSION = "set -m; sleep 300 & echo $!; sleep 300 & echo $!; wait"


@pytest.fixture
def session() -> Iterator[tuple[subprocess.Popen[str], int, int]]:
    leader = subprocess.Popen(
        ["bash", "-c", SESSION], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert leader.stdout is not None
    job, spared = int(leader.stdout.readline()), int(leader.stdout.readline())
    yield leader, job, spared
    for pid in (leader.pid, job, spared):
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    leader.wait()


def gone(pid: int, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not alive(pid)


def dies_with_us(line: Lifeline) -> None:
    """What kill -9 of opsbook does to the pipe: it ends without a goodbye."""
    assert line.pipe is not None
    os.close(line.pipe)
    line.pipe = None


def test_without_a_goodbye_the_watched_session_dies_but_its_spared_job(
    session: tuple[subprocess.Popen[str], int, int],
) -> None:
    leader, job, spared = session
    line = Lifeline(shutil.which("bash") or "bash")
    line.watch(leader.pid)
    line.spare([spared])
    dies_with_us(line)
    assert gone(job) and gone(leader.pid)
    assert alive(spared)


def test_a_goodbye_kills_nothing(session: tuple[subprocess.Popen[str], int, int]) -> None:
    leader, job, _ = session
    line = Lifeline(shutil.which("bash") or "bash")
    line.watch(leader.pid)
    watcher = line.process
    assert watcher is not None
    line.close()
    assert watcher.returncode == 0
    time.sleep(0.2)
    assert alive(job) and alive(leader.pid)


def test_a_dead_watcher_is_replaced_by_one_that_knows_every_session(
    session: tuple[subprocess.Popen[str], int, int],
) -> None:
    leader, job, spared = session
    line = Lifeline(shutil.which("bash") or "bash")
    line.watch(leader.pid)
    assert line.process is not None
    line.process.kill()
    line.process.wait()
    line.spare([spared])  # the write fails: a new watcher starts with the whole state
    dies_with_us(line)
    assert gone(job) and gone(leader.pid)
    assert alive(spared)
