"""The SSH session's wire, pure: replies and output frames read from any chunking."""

from __future__ import annotations

import re
import subprocess
import time

import psutil
import pytest

from opsbook.procedures.executors.session_wire import MalformedReply, WireError
from opsbook.procedures.executors.ssh_session_wire import (
    SCRIPT,
    Output,
    StepReplyReader,
    command_line,
    encode_step,
)

REPLY = b"4242\n17\n=3\n5\nhello10\n0123456789"


def feed_in_pieces(data: bytes, size: int, cap: int = 10) -> list[object]:
    reader = StepReplyReader(cap)
    return [got for i in range(0, len(data), size) if (got := reader.feed(data[i : i + size]))]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_a_reply_is_read_whole_however_it_is_cut(size: int) -> None:
    (got,) = feed_in_pieces(REPLY, size)

    assert got.reply.status == "3" and got.reply.jobs == {4242, 17}  # type: ignore[attr-defined]
    assert got.stdout == Output(5, b"hello", b"")  # type: ignore[attr-defined]
    # 10 bytes, at most 2 x cap: sent whole.
    assert got.stderr == Output(10, b"0123456789", b"")  # type: ignore[attr-defined]


def test_an_output_bigger_than_twice_the_cap_comes_as_its_two_ends() -> None:
    reader = StepReplyReader(cap=4)

    got = reader.feed(b"=0\n100\nHEADTAIL0\n")

    assert got is not None and got.stdout == Output(100, b"HEAD", b"TAIL")


def test_a_step_that_ended_the_shell_says_so_in_its_status() -> None:
    got = StepReplyReader(4).feed(b"=e3\n0\n0\n")

    assert got is not None and got.reply.status == "e3"


@pytest.mark.parametrize(
    "data",
    [b"hello\n", b"=0\nx\n", b"=0\n0\n0\nextra", b"12345678901\n=0\n", b"=0\n" + b"9" * 21],
)
def test_anything_but_a_reply_is_refused_at_once(data: bytes) -> None:
    with pytest.raises(MalformedReply):
        StepReplyReader(4).feed(data)


def test_a_field_with_a_nul_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(WireError, match="variable X"):
        encode_step("true", None, {"X": "a\0b"}, "end", 10)


def test_the_command_line_holds_the_driver_and_says_which_start_up_files_run() -> None:
    plain, login = command_line(login=False), command_line(login=True)

    assert plain.startswith("bash --noprofile --norc -c '") and "__ob_end" in plain
    assert login.startswith("bash --login --norc -c '")


def alive(pid: int) -> bool:
    """Ask the script's own `__opsbook_alive` (run by bash) whether pid still runs."""
    found = re.search(r"^__opsbook_alive\(\) \{\n.*?^\}\n", SCRIPT, re.S | re.M)
    assert found is not None
    check = subprocess.run(["bash", "-c", f'{found.group(0)}__opsbook_alive "$1"', "-", str(pid)])
    return check.returncode == 0


@pytest.mark.process
def test_a_shell_that_ended_counts_as_gone_even_before_it_is_reaped() -> None:
    # sshd may end before the run's shell, which then waits for init to reap it: `kill -0`
    # calls such a zombie alive, and the copier went on to stop steps that had ended.
    running = subprocess.Popen(["sleep", "30"])
    ended = subprocess.Popen(["true"])  # not waited for: a zombie until we do
    try:
        while psutil.Process(ended.pid).status() != psutil.STATUS_ZOMBIE:
            time.sleep(0.01)
        assert alive(running.pid)
        assert not alive(ended.pid)
    finally:
        running.kill()
        running.wait()
        ended.wait()
    assert not alive(ended.pid)
