"""The SSH executors and fan-out against a real OpenSSH sshd on a loopback port.

Every test that makes its executor with `executor()` runs twice: with a shell per step
(`SshExecutor`) and with a run-long session (`SshSession`); both keep the same promises.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from opsbook.procedures.executors.fanout import run_on_hosts
from opsbook.procedures.executors.protocol import CommandResult, CommandSpec
from opsbook.procedures.executors.ssh import KILL_GRACE, SshExecutor
from opsbook.procedures.executors.ssh_session import SshSession
from opsbook.runbook.model import Host
from tests.e2e.sshd import SshServer, generate_key

pytestmark = pytest.mark.e2e
KINDS: dict[str, type[SshExecutor] | type[SshSession]] = {
    "per-step": SshExecutor,
    "session": SshSession,
}
kind = {"now": "per-step"}


@pytest.fixture(autouse=True, params=list(KINDS))
def each_kind(request: pytest.FixtureRequest) -> Iterator[None]:
    """Run the test with each kind of SSH executor."""
    kind["now"] = request.param
    yield
    kind["now"] = "per-step"


def executor(
    sshd: SshServer, name: str = "web1", *, known_hosts: Path | None = None, port: int = 0
) -> SshExecutor | SshSession:
    host = Host(name=name, address=sshd.address, user=sshd.user, port=port or sshd.port)
    return KINDS[kind["now"]](
        host,
        known_hosts=str(known_hosts or sshd.known_hosts),
        client_keys=[str(sshd.client_key)],
        connect_timeout=5,
    )


def run(ex: SshExecutor | SshSession, spec: CommandSpec) -> CommandResult:
    async def go() -> CommandResult:
        try:
            return await ex.run(spec)
        finally:
            await ex.close()

    return asyncio.run(go())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def unique_tag() -> str:
    """Return digits to put after `sleep 9001.` so the test finds exactly its own processes."""
    return f"{uuid.uuid4().int % 10**15:015d}"


def processes_with(text: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if text in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


def test_command_runs_remotely_and_returns_exit_status_and_output(sshd: SshServer) -> None:
    result = run(executor(sshd), CommandSpec('echo "out $SSH_CONNECTION"; echo err >&2; exit 7'))

    assert result.exit_code == 7
    assert result.error is None and not result.timed_out
    # SSH_CONNECTION ends with the server's port: the command really went through sshd.
    assert result.stdout.startswith("out 127.0.0.1 ")
    assert result.stdout.rstrip().endswith(f" {sshd.port}")
    assert result.stderr == "err\n"
    assert result.duration > 0


def test_cwd_and_multiline_commands_run_in_one_shell(sshd: SshServer, tmp_path: Path) -> None:
    spec = CommandSpec("x=1\nif [ $x = 1 ]; then\n  pwd\nfi\n", cwd=str(tmp_path))

    result = run(executor(sshd), spec)

    assert (result.exit_code, result.stdout) == (0, f"{tmp_path}\n")


def test_env_values_are_inert_remotely(sshd: SshServer, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    marker = tmp_path / "pwned"
    value = f"$(touch {marker}); rm -rf {victim} `touch {marker}` 'q' \"d\" \\ ;\nline2"
    spec = CommandSpec('printf %s "$VALUE"', env={"VALUE": value, "OTHER": "plain"})

    result = run(executor(sshd), spec)

    assert result.exit_code == 0
    assert result.stdout == value
    assert not marker.exists()
    assert victim.is_dir()


def test_env_values_never_appear_in_the_remote_command_line(sshd: SshServer) -> None:
    secret = f"s3cret-{uuid.uuid4().hex}"
    marker = "the-command-text"
    # Every process of the SSH session (sshd starts each in a new one), with its arguments.
    command = f'ps -o args= -s "$(ps -o sid= -p $$ | tr -d " ")"; : {marker}'
    spec = CommandSpec(command, env={"TOKEN": secret})

    result = run(executor(sshd), spec)

    assert result.exit_code == 0
    assert "read -r" in result.stdout  # the fixed wrapper is there...
    assert secret not in result.stdout  # ...and no process carries the value
    assert marker not in result.stdout  # nor the command text


def test_env_name_that_is_not_a_shell_name_is_refused(sshd: SshServer) -> None:
    result = run(executor(sshd), CommandSpec("true", env={"A;B": "x"}))

    assert result.exit_code is None
    assert result.error is not None and "'A;B'" in result.error


def test_unknown_host_key_is_refused(sshd: SshServer, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    marker = tmp_path / "ran"

    result = run(executor(sshd, known_hosts=empty), CommandSpec(f"touch {marker}"))

    assert result.exit_code is None and not result.ok
    assert result.error is not None
    assert "is unknown" in result.error and str(empty) in result.error
    assert not marker.exists()


def test_changed_host_key_is_refused(sshd: SshServer, tmp_path: Path) -> None:
    other = generate_key(tmp_path / "other_host_key")
    wrong = tmp_path / "known_hosts"
    wrong.write_text(f"[{sshd.address}]:{sshd.port} {other}\n")
    marker = tmp_path / "ran"

    result = run(executor(sshd, known_hosts=wrong), CommandSpec(f"touch {marker}"))

    assert result.exit_code is None
    assert result.error is not None and "CHANGED" in result.error
    assert "man-in-the-middle" in result.error
    assert not marker.exists()


def test_missing_known_hosts_file_is_named_in_the_error(sshd: SshServer, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "known_hosts"

    result = run(executor(sshd, known_hosts=missing), CommandSpec("true"))

    assert result.exit_code is None
    assert result.error is not None and f"known_hosts file {missing}" in result.error


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty home directory, so ~/.ssh is the test's own."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return home


def test_default_known_hosts_and_ssh_config_are_honoured(sshd: SshServer, home: Path) -> None:
    (home / ".ssh" / "config").write_text(
        f"Host db-alias\n  HostName {sshd.address}\n  Port {sshd.port}\n"
        f"  User {sshd.user}\n  IdentityFile {sshd.client_key}\n"
    )
    # Name, user and port all come from ~/.ssh/config; no key given in code.
    host = Host(name="db", address="db-alias")

    refused = run(SshExecutor(host), CommandSpec("echo hi"))
    (home / ".ssh" / "known_hosts").write_text(sshd.known_hosts_line())
    accepted = run(SshExecutor(host), CommandSpec("echo hi"))

    assert refused.error is not None and "known_hosts" in refused.error
    assert (accepted.exit_code, accepted.stdout, accepted.error) == (0, "hi\n", None)


@pytest.fixture
def agent(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real ssh-agent holding the test client key."""
    sock = tmp_path / "agent.sock"
    proc = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        yield str(sock)
    finally:
        proc.terminate()
        proc.wait()


def test_ssh_agent_keys_are_used(sshd: SshServer, agent: str, home: Path) -> None:
    host = Host(name="web1", address=sshd.address, user=sshd.user, port=sshd.port)
    known = str(sshd.known_hosts)

    without_key = run(SshExecutor(host, known_hosts=known), CommandSpec("true"))
    subprocess.run(
        ["ssh-add", "-q", str(sshd.client_key)],
        env={**os.environ, "SSH_AUTH_SOCK": agent},
        check=True,
        capture_output=True,
    )
    with_agent_key = run(SshExecutor(host, known_hosts=known), CommandSpec("true"))

    assert without_key.error is not None and "authentication" in without_key.error
    assert with_agent_key.ok, with_agent_key.error


def test_timeout_kills_the_remote_process_tree(sshd: SshServer) -> None:
    tag = unique_tag()
    plain, stubborn, child = f"9001.{tag}", f"9002.{tag}", f"9003.{tag}"
    # A background child, a grandchild that ignores TERM, and a foreground sleep.
    command = (
        f"sleep {child} & (trap '' TERM; sleep {stubborn}) & echo running; "
        f"sleep {plain}; echo never"
    )
    started = time.monotonic()

    result = run(executor(sshd), CommandSpec(command, timeout=1))

    assert result.timed_out and result.exit_code is None and not result.ok
    # The sleeps started (a bad interval would show on stderr) and the shell was cut short;
    # a session's bash reports the jobs it saw killed, as it would in a terminal.
    assert result.stdout == "running\n"
    notices = [line for line in result.stderr.splitlines() if "Terminated" not in line]
    assert notices == []
    assert time.monotonic() - started < 1 + KILL_GRACE + 2
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and processes_with(tag):
        time.sleep(0.1)
    assert processes_with(tag) == []


def test_abandoned_run_ends_the_remote_command(sshd: SshServer) -> None:
    tag = unique_tag()
    ex = executor(sshd)

    async def abandon() -> list[psutil.Process]:
        task = asyncio.create_task(ex.run(CommandSpec(f"sleep 9004.{tag} & sleep 9005.{tag}")))
        deadline = time.monotonic() + 10
        while len(processes_with(tag)) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert len(processes_with(tag)) == 2
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The connection stays open: only the cancelled step's channel was closed.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and processes_with(tag):
            await asyncio.sleep(0.1)
        left = processes_with(tag)
        await ex.close()
        return left

    assert asyncio.run(abandon()) == []


def test_step_that_starts_a_background_daemon_finishes_when_its_shell_exits(
    sshd: SshServer,
) -> None:
    tag = unique_tag()
    # The background sleep keeps the session's stdout open, as a daemon started by a step can.
    command = f"sleep 3.{tag} & echo started"
    started = time.monotonic()

    result = run(executor(sshd), CommandSpec(command, timeout=30))

    assert (result.exit_code, result.stdout, result.timed_out) == (0, "started\n", False)
    assert time.monotonic() - started < 2
    assert processes_with(tag) != []  # the daemon is left running, as locally


def test_output_is_bounded_keeping_start_and_end(sshd: SshServer) -> None:
    result = run(executor(sshd), CommandSpec("seq 1 100000", output_limit=1000))

    assert result.exit_code == 0
    assert result.stdout.startswith("1\n2\n3\n")
    assert result.stdout.endswith("99999\n100000\n")
    assert "bytes dropped" in result.stdout
    assert len(result.stdout) < 1100


def test_one_connection_is_reused_across_steps(sshd: SshServer) -> None:
    ex = executor(sshd)

    async def steps() -> list[CommandResult]:
        try:
            first = await ex.run(CommandSpec("echo $SSH_CONNECTION"))
            second = await ex.run(CommandSpec("echo $SSH_CONNECTION"))
            await ex.close()
            third = await ex.run(CommandSpec("echo $SSH_CONNECTION"))
            return [first, second, third]
        finally:
            await ex.close()

    first, second, third = asyncio.run(steps())

    # SSH_CONNECTION holds the client's port: same port, same connection.
    assert first.stdout == second.stdout != ""
    assert third.exit_code == 0 and third.stdout != first.stdout


def fan_out(
    executors: list[SshExecutor], spec: CommandSpec, limit: int
) -> dict[str, CommandResult]:
    async def go() -> dict[str, CommandResult]:
        try:
            return await run_on_hosts(executors, spec, limit=limit)
        finally:
            await asyncio.gather(*(ex.close() for ex in executors))

    return asyncio.run(go())


def test_fan_out_reports_per_host_with_one_host_down(sshd: SshServer) -> None:
    up = [executor(sshd, f"web{i}") for i in range(1, 4)]
    down = executor(sshd, "web-down", port=closed_port())

    results = fan_out([*up, down], CommandSpec("echo ok"), limit=4)

    assert set(results) == {"web1", "web2", "web3", "web-down"}
    for name in ("web1", "web2", "web3"):
        assert (results[name].exit_code, results[name].stdout) == (0, "ok\n")
    assert results["web-down"].exit_code is None
    assert results["web-down"].error is not None
    assert "web-down" in results["web-down"].error
    assert "refused" in results["web-down"].error.lower()


def test_fan_out_respects_the_concurrency_limit(sshd: SshServer, tmp_path: Path) -> None:
    log = tmp_path / "log"
    command = 'echo "start $(date +%s.%N)" >>"$LOG"; sleep 0.8; echo "end $(date +%s.%N)" >>"$LOG"'
    hosts = [executor(sshd, f"web{i}") for i in range(6)]

    results = fan_out(hosts, CommandSpec(command, env={"LOG": str(log)}), limit=2)

    assert all(r.ok for r in results.values()), results
    events = sorted(
        (float(stamp), 0 if kind == "end" else 1)
        for kind, stamp in (line.split() for line in log.read_text().splitlines())
    )
    running = peak = 0
    for _, starts in events:
        running += 1 if starts else -1
        peak = max(peak, running)
    assert len(events) == 12
    assert peak == 2


def test_fan_out_refuses_a_bad_limit_or_a_repeated_host(sshd: SshServer) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        fan_out([executor(sshd)], CommandSpec("true"), limit=0)
    with pytest.raises(ValueError, match="web1"):
        fan_out([executor(sshd), executor(sshd)], CommandSpec("true"), limit=2)
