"""The session shell's wire cannot misframe: NUL or broken text is refused on the way in, a
request that does not frame is refused by the driver, and a reply that is not one fails the
step (real bash, and a fake bash that writes garbage)."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import psutil
import pytest

from opsbook.procedures.executors.local import LocalExecutor
from opsbook.procedures.executors.protocol import CommandResult, CommandSpec
from opsbook.procedures.executors.session_shell import SessionShell
from opsbook.procedures.executors.session_wire import (
    DRIVER,
    MalformedReply,
    ReplyReader,
    WireError,
    encode_request,
)
from opsbook.procedures.loop_free import run_loop_free
from tests.procedures.test_session_shell import RunAll, run_all  # noqa: F401  (the fixture)

END = "0123456789abcdef"


@pytest.mark.parametrize(
    ("command", "cwd", "env", "named"),
    [
        ("true", None, {"V": "x\0touch /tmp/pwned"}, "variable V contains a NUL"),
        ("true", None, {"V": "\ud800"}, "variable V is not valid Unicode"),
        ("true\0touch /tmp/pwned", None, {}, "the command contains a NUL"),
        ("true", "/tmp\0/x", {}, "the cwd contains a NUL"),
    ],
)
def test_encode_request_refuses_a_field_the_wire_cannot_carry(
    command: str, cwd: str | None, env: dict[str, str], named: str
) -> None:
    with pytest.raises(WireError, match=named):
        encode_request(command, cwd, "/tmp/1", env, END)


@pytest.mark.process
def test_a_nul_in_a_value_runs_nothing_and_the_next_step_arrives_whole(
    tmp_path: Path,
    run_all: RunAll,  # noqa: F811
) -> None:
    marker = tmp_path / "pwned"
    refused, after = run_all(
        [
            CommandSpec('echo "$V"', env={"V": f"x\0touch {marker}\0\0\0"}),
            CommandSpec("echo second", cwd=str(tmp_path)),
        ]
    )
    assert refused.exit_code is None and refused.error is not None
    assert "variable V contains a NUL character" in refused.error
    assert after.ok and after.stdout == "second\n"
    assert not marker.exists()


def _driver(tmp_path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["bash", "--noprofile", "--norc", "-c", DRIVER, "opsbook-session", END],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )


def _fields(*fields: str) -> bytes:
    return b"".join(f.encode() + b"\0" for f in fields)


@pytest.mark.process
@pytest.mark.parametrize(
    "request_fields",
    [
        # A value split by a NUL: the piece after it would be read as the next command.
        ("true", "", "1", "V=x", "touch {marker}", "{end}{out}"),
        # One variable too few: the marked field is read as a variable, the next as it.
        ("true", "", "2", "V=x", "{end}{out}", "touch {marker}"),
        # The count is text: it never reaches bash arithmetic ($(...) there runs code).
        ("true", "", "a[$(touch {marker})]", "{end}{out}"),
        ("true", "", "010", "{end}{out}"),
        # A last field without the shell's end mark.
        ("true", "", "0", "{out}"),
        ("true", "", "0", "{end}"),
    ],
)
def test_the_driver_refuses_a_request_that_does_not_frame_and_runs_nothing(
    tmp_path: Path, request_fields: tuple[str, ...]
) -> None:
    marker = tmp_path / "pwned"
    shell = _driver(tmp_path)
    fields = [f.format(out=tmp_path / "1", marker=marker, end=END) for f in request_fields]
    following = _fields("true", "", "0", f"{END}{tmp_path / '2'}")
    reply, _ = shell.communicate(_fields(*fields) + following, timeout=10)
    assert reply == b"=badrequest\n"
    assert shell.returncode == 125
    assert not marker.exists()
    assert not (tmp_path / "1.out").exists(), "the command of a refused request never ran"
    assert not (tmp_path / "2.out").exists(), "nothing after a refused request ran"


@pytest.mark.process
def test_a_request_that_frames_exactly_runs_in_the_driver(tmp_path: Path) -> None:
    shell = _driver(tmp_path)
    request = _fields('printf "%s" "$V"', "", "1", "V=a b", f"{END}{tmp_path / '1'}")
    reply, _ = shell.communicate(request, timeout=10)
    assert reply == b"=0\n"
    assert (tmp_path / "1.out").read_text() == "a b"


@pytest.mark.parametrize(
    "garbage", [b"garbage\n", b"=0\n=1\n", b"=rm -rf /\n", b"12x", b"9" * 70000]
)
def test_reply_reader_refuses_what_is_not_a_reply(garbage: bytes) -> None:
    reader = ReplyReader()
    with pytest.raises(MalformedReply):
        for start in range(0, len(garbage), 4096):
            reader.feed(garbage[start : start + 4096])


def _fake_bash(tmp_path: Path) -> Path:
    """A 'bash' that answers every request with garbage and then hangs."""
    fake = tmp_path / "bin" / "bash"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text("#!/bin/sh\necho 'this is not a reply'\nexec sleep 300\n")
    fake.chmod(0o755)
    return fake


@pytest.mark.process
@pytest.mark.parametrize("blocking", [True, False], ids=["blocking", "in-loop"])
def test_a_shell_that_answers_garbage_fails_the_step_and_is_stopped(
    tmp_path: Path, blocking: bool
) -> None:
    shell = SessionShell(bash=str(_fake_bash(tmp_path)), blocking=blocking)

    async def go() -> tuple[CommandResult, int]:
        try:
            result = await shell.run(CommandSpec("true", timeout=60))
            assert shell.process is not None
            return result, shell.process.pid
        finally:
            await shell.close()

    result, pid = run_loop_free(go()) if blocking else asyncio.run(go())
    assert result.exit_code is None and result.error is not None
    assert "not a reply" in result.error and "were stopped" in result.error
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


@pytest.mark.process
def test_a_bash_per_step_refuses_a_nul_in_a_value_without_raising(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    spec = CommandSpec("true", env={"V": f"x\0touch {marker}"})
    result = asyncio.run(LocalExecutor().run(spec))
    assert result.exit_code is None and result.error is not None
    assert "NUL" in result.error and not marker.exists()
