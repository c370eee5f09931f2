"""No part of a secret is kept: output is masked before it is cut to its bound, and across the
chunks it comes in (session shell files, a bash per step, SSH streams, the stored record)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from opsbook.procedures.executors.local import BoundedOutput, LocalExecutor
from opsbook.procedures.executors.protocol import CommandSpec
from opsbook.procedures.executors.session_shell import SessionShell
from opsbook.procedures.executors.ssh import SshExecutor
from opsbook.procedures.loop_free import run_loop_free
from opsbook.procedures.secrets import StreamMasker
from opsbook.runbook.model import Host
from tests.e2e.sshd import SshServer
from tests.procedures.cli_support import cli_env, opsbook, run_json, write_runbook

SECRET = "S3cr3t-T0ken!"  # 13 characters, as in the report
LIMIT = 1024
HALF = LIMIT // 2


def fragments(secret: str = SECRET, shortest: int = 4) -> list[str]:
    """Every piece of the secret of `shortest` characters or more."""
    return [secret[i:j] for i in range(len(secret)) for j in range(i + shortest, len(secret) + 1)]


def assert_no_fragment(text: str) -> None:
    leaked = [piece for piece in fragments() if piece in text]
    assert not leaked, f"secret fragments kept: {leaked}"


# The secret straddles the end of the head, the start of the tail, and both.
STREAMS = [
    "x" * (HALF - 6) + SECRET + "y" * (3 * LIMIT),
    "y" * (3 * LIMIT) + SECRET + "x" * (HALF - 6),
    "x" * (HALF - 12) + SECRET + "y" * (2 * LIMIT) + SECRET + "x" * (HALF - 1),
    "x" * (HALF - 6) + SECRET + "y" * (5 * LIMIT) + SECRET + "x" * (HALF - 6),
    "x" * (HALF - 6) + SECRET + "y" * LIMIT,  # under 4 bounds: a file is masked whole
]


@pytest.mark.parametrize("stream", STREAMS)
@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_a_stream_cut_to_its_bound_keeps_no_part_of_a_secret(stream: str, chunk: int) -> None:
    kept = BoundedOutput(LIMIT, [SECRET])
    data = stream.encode()
    for start in range(0, len(data), chunk):
        kept.add(data[start : start + chunk])
    text = kept.text()
    assert "bytes dropped" in text
    assert_no_fragment(text)


@pytest.mark.parametrize("stream", STREAMS)
def test_a_file_cut_to_its_bound_keeps_no_part_of_a_secret(stream: str, tmp_path: Path) -> None:
    (tmp_path / "1.out").write_text(stream)
    with (tmp_path / "1.out").open("rb") as file:
        text = BoundedOutput.read(file, LIMIT, [SECRET]).text()
    assert "bytes dropped" in text
    assert_no_fragment(text)


def test_a_secret_split_across_chunks_is_masked_and_the_rest_passes_unchanged() -> None:
    stream = StreamMasker([SECRET, "pw"])
    data = f"a {SECRET} b pw c {SECRET[:5]} d".encode()
    out = b"".join(stream.feed(data[i : i + 1]) for i in range(len(data))) + stream.flush()
    assert out == f"a **** b **** c {SECRET[:5]} d".encode()


def _spec(command: str) -> CommandSpec:
    return CommandSpec(command, env={"T": SECRET}, output_limit=LIMIT, secrets=(SECRET,))


# Writes the secret across the cut, and across two writes a moment apart (two chunks).
CUT_COMMAND = (
    f'printf "%0{HALF - 6}d" 0; printf "%s" "${{T:0:5}}"; sleep 0.2; printf "%s" "${{T:5}}"; '
    f'printf "%0{3 * LIMIT}d" 0; printf "%s" "$T" >&2; printf "%0{3 * LIMIT}d" 0 >&2'
)


@pytest.mark.process
@pytest.mark.parametrize("blocking", [True, False], ids=["session-blocking", "session-in-loop"])
def test_the_session_shell_keeps_no_part_of_a_secret_across_the_cut(blocking: bool) -> None:
    async def go() -> tuple[str, str]:
        shell = SessionShell(blocking=blocking)
        try:
            result = await shell.run(_spec(CUT_COMMAND))
            return result.stdout, result.stderr
        finally:
            await shell.close()

    out, err = run_loop_free(go()) if blocking else asyncio.run(go())
    assert "bytes dropped" in out and "****" in err
    assert_no_fragment(out + err)


@pytest.mark.process
def test_a_bash_per_step_keeps_no_part_of_a_secret_across_chunks_and_the_cut() -> None:
    result = asyncio.run(LocalExecutor().run(_spec(CUT_COMMAND)))
    assert "bytes dropped" in result.stdout and "****" in result.stderr
    assert_no_fragment(result.stdout + result.stderr)


@pytest.mark.e2e
def test_ssh_output_keeps_no_part_of_a_secret_across_chunks_and_the_cut(sshd: SshServer) -> None:
    host = Host(name="web1", address=sshd.address, user=sshd.user, port=sshd.port)
    ex = SshExecutor(host, known_hosts=str(sshd.known_hosts), client_keys=[str(sshd.client_key)])

    async def go() -> tuple[str, str]:
        try:
            result = await ex.run(_spec(CUT_COMMAND.replace("${T:0:5}", "${T%????????}")))
            assert result.ok, result
            return result.stdout, result.stderr
        finally:
            await ex.close()

    out, err = asyncio.run(go())
    assert "bytes dropped" in out and "****" in err
    assert_no_fragment(out + err)


@pytest.mark.process
def test_no_part_of_a_secret_reaches_the_record_of_a_run(tmp_path: Path) -> None:
    # The default bound is 64 KiB a stream: the secret straddles the end of the kept head.
    book = write_runbook(
        tmp_path,
        """
### Rotate Procedure

**Parameters**:
- `API_TOKEN` (required): token for the API

**Steps**:
1. Print a lot: `printf "%032762d" 0; echo "$API_TOKEN"; printf "%070000d" 0`
""",
    )
    env = cli_env(tmp_path / "state")
    done = opsbook("run", str(book), "rotate", "--param", f"API_TOKEN={SECRET}", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    shown = run_json("runs", "show", "1", env=env)
    assert "bytes dropped" in shown["attempts"][0]["stdout"]
    assert_no_fragment(json.dumps(shown))
    assert_no_fragment(opsbook("runs", "show", "1", env=env).stdout)
    with sqlite3.connect(tmp_path / "state" / "opsbook.db") as db:
        [(stored,)] = db.execute("SELECT stdout FROM step_attempts").fetchall()
    assert_no_fragment(stored)
