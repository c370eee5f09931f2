"""A run's steps on a host in one remote shell (SshSession), against a real sshd.

The promises both SSH executors keep are in test_ssh.py; these are the session's own.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from opsbook.procedures.executors.fanout import HostFinished, run_on_hosts
from opsbook.procedures.executors.protocol import CommandResult, CommandSpec, Executor
from opsbook.procedures.executors.session_shell import SessionShell
from opsbook.procedures.executors.ssh import SshExecutor
from opsbook.procedures.executors.ssh_session import SshSession
from opsbook.runbook.model import Host
from tests.e2e.sshd import SshServer, start_server, stop_server
from tests.procedures.test_ssh import processes_with, unique_tag

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def session(
    sshd: SshServer,
    name: str = "web1",
    *,
    port: int = 0,
    connect_timeout: float = 5,
    login: bool = False,
) -> SshSession:
    host = Host(name=name, address=sshd.address, user=sshd.user, port=port or sshd.port)
    return SshSession(
        host,
        known_hosts=str(sshd.known_hosts),
        client_keys=[str(sshd.client_key)],
        connect_timeout=connect_timeout,
        login=login,
    )


def run_all(ex: Executor, specs: list[CommandSpec]) -> list[CommandResult]:
    async def go() -> list[CommandResult]:
        try:
            return [await ex.run(spec) for spec in specs]
        finally:
            await ex.close()

    return asyncio.run(go())


@pytest.fixture(scope="module")
def counted_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SshServer, Path]]:
    """An sshd whose sessions have a home of their own, whose start-up files count runs."""
    home = tmp_path_factory.mktemp("home")
    (home / ".bashrc").write_text('echo rc >> "$HOME/bashrc.count"\n')
    (home / ".bash_profile").write_text('echo profile >> "$HOME/profile.count"\n')
    proc, server = start_server(tmp_path_factory.mktemp("sshd-home"), setenv=f"HOME={home}")
    try:
        yield server, home
    finally:
        stop_server(proc)


def counts(home: Path) -> tuple[int, int]:
    found = []
    for name in ("bashrc.count", "profile.count"):
        path = home / name
        found.append(len(path.read_text().splitlines()) if path.exists() else 0)
        path.unlink(missing_ok=True)
    return found[0], found[1]


def test_a_ten_step_run_runs_the_start_up_file_once(
    counted_home: tuple[SshServer, Path],
) -> None:
    sshd, home = counted_home
    steps = [CommandSpec(f"echo step {n}") for n in range(10)]

    results = run_all(session(sshd), steps)

    assert [r.stdout for r in results] == [f"step {n}\n" for n in range(10)]
    assert counts(home) == (1, 0)
    # A shell per step pays the start-up file on every step: the count above is the session's.
    run_all(per_step(sshd), steps)
    assert counts(home) == (10, 0)


def per_step(sshd: SshServer, *, login: bool = False) -> SshExecutor:
    host = Host("web1", sshd.address, sshd.user, sshd.port)
    keys = [str(sshd.client_key)]
    return SshExecutor(host, known_hosts=str(sshd.known_hosts), client_keys=keys, login=login)


@pytest.mark.parametrize("login", [False, True])
def test_a_shell_for_one_step_reads_the_start_up_files_as_a_session_does(
    counted_home: tuple[SshServer, Path], login: bool
) -> None:
    # A host with one command in the run gets such a shell (ssh_hosts.py); a bash started
    # from sshd reads ~/.bashrc, so the wrapper's own bash must not read it a second time.
    sshd, home = counted_home

    run_all(per_step(sshd, login=login), [CommandSpec("true")])

    assert counts(home) == (1, 1 if login else 0)


def test_login_true_runs_the_profile_once_too(counted_home: tuple[SshServer, Path]) -> None:
    sshd, home = counted_home

    run_all(session(sshd, login=True), [CommandSpec("true")] * 5)

    assert counts(home) == (1, 1)


def test_variables_functions_and_directory_carry_over_as_in_one_terminal(
    sshd: SshServer, tmp_path: Path
) -> None:
    results = run_all(
        session(sshd),
        [
            CommandSpec("COLOR=blue; greet() { echo hello $1; }; cd /"),
            CommandSpec('greet "$COLOR"; echo "$PARAM"', env={"PARAM": "a b"}),
            CommandSpec("pwd", cwd=str(tmp_path)),
            CommandSpec("pwd"),
        ],
    )

    assert [r.stdout for r in results] == [
        "",
        "hello blue\na b\n",
        f"{tmp_path}\n",
        f"{Path.home()}\n",  # with no cwd=, a step starts where sshd starts the shell
    ]


def test_a_step_that_ends_the_shell_keeps_its_status_and_output_and_the_next_gets_a_new_one(
    sshd: SshServer,
) -> None:
    results = run_all(
        session(sshd),
        [
            CommandSpec("KEPT=1"),
            CommandSpec("set -e\necho before\nfalse\necho after"),
            CommandSpec('echo "kept=${KEPT:-no}"; exit 3'),
            CommandSpec("echo fresh"),
        ],
    )

    assert [(r.exit_code, r.stdout) for r in results] == [
        (0, ""),
        (1, "before\n"),
        (3, "kept=no\n"),
        (0, "fresh\n"),
    ]


def test_big_output_is_kept_and_masked_exactly_as_in_the_local_session(sshd: SshServer) -> None:
    command = "seq 1 300000; seq 1 50000 >&2"
    spec = CommandSpec(command, output_limit=4000, secrets=("299999", "17"))

    remote = run_all(session(sshd), [spec])[0]
    local = run_all(SessionShell(), [spec])[0]

    assert "bytes dropped" in remote.stdout and "299999" not in remote.stdout
    assert (remote.stdout, remote.stderr) == (local.stdout, local.stderr)


def test_a_daemon_a_step_starts_outlives_the_run(sshd: SshServer) -> None:
    tag = unique_tag()

    run_all(session(sshd), [CommandSpec(f"sleep 9005.{tag} &"), CommandSpec("true")])

    time.sleep(1)
    try:
        assert len(processes_with(tag)) == 1
    finally:
        for proc in processes_with(tag):
            proc.kill()


def test_a_killed_opsbook_leaves_nothing_running_on_the_host(
    sshd: SshServer, tmp_path: Path
) -> None:
    tag = unique_tag()
    script = tmp_path / "step.py"
    script.write_text(
        "import asyncio, sys\n"
        "from opsbook.procedures.executors.protocol import CommandSpec\n"
        "from opsbook.procedures.executors.ssh_session import SshSession\n"
        "from opsbook.runbook.model import Host\n"
        f"ex = SshSession(Host('web1', {sshd.address!r}, {sshd.user!r}, {sshd.port}),\n"
        f"    known_hosts={str(sshd.known_hosts)!r}, client_keys=[{str(sshd.client_key)!r}])\n"
        "async def main():\n"
        "    await ex.run(CommandSpec('sleep 9007 & disown; true'))\n"
        "    print('ready', flush=True)\n"
        f"    await ex.run(CommandSpec('sleep 9006.{tag} | cat'))\n"
        "asyncio.run(main())\n"
    )
    child = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, cwd=ROOT, env={**os.environ}
    )
    assert child.stdout is not None and child.stdout.readline() == b"ready\n"
    deadline = time.monotonic() + 10
    while not processes_with(tag) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_with(tag)

    child.send_signal(signal.SIGKILL)
    child.wait()

    deadline = time.monotonic() + 10
    while processes_with(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(tag) == []
    for proc in psutil.process_iter(["cmdline"]):
        if proc.info["cmdline"] == ["sleep", "9007"]:
            proc.kill()


def test_a_host_that_never_answers_times_out_without_holding_up_the_others(
    sshd: SshServer,
) -> None:
    # A port that accepts connections and never says a word: the kernel completes the
    # handshake into the backlog, sshd's banner never comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        executors: list[Executor] = [session(sshd, f"web{n}") for n in range(6)]
        executors.append(session(sshd, "mute", port=port, connect_timeout=2))
        order: list[str] = []

        results = asyncio.run(
            _fan_out(executors, CommandSpec("hostname"), lambda host, _: order.append(host))
        )

    assert sorted(order[:6]) == [f"web{n}" for n in range(6)] and order[6] == "mute"
    assert all(results[f"web{n}"].ok for n in range(6))
    assert results["mute"].error == f"cannot reach mute (127.0.0.1:{port}): no answer within 2 s"


async def _fan_out(
    executors: list[Executor], spec: CommandSpec, seen: HostFinished
) -> dict[str, CommandResult]:
    try:
        return await run_on_hosts(executors, spec, limit=len(executors), on_result=seen)
    finally:
        await asyncio.gather(*(e.close() for e in executors))


def test_a_step_that_truncates_its_own_output_cannot_break_the_frames(sshd: SshServer) -> None:
    # Opening /dev/stdout again empties the step's output file under the shell's feet.
    results = run_all(
        session(sshd),
        [CommandSpec("echo aaaaaaaa; echo b > /dev/stdout; echo e >&2"), CommandSpec("echo next")],
    )

    assert results[0].exit_code == 0 and results[0].stdout.startswith("b\n")
    assert results[0].stderr == "e\n"
    assert (results[1].exit_code, results[1].stdout) == (0, "next\n")


def test_a_host_without_bash_gets_a_new_sh_for_each_step(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    bin_dir = tmp_path_factory.mktemp("no-bash-bin")
    (bin_dir / "sh").symlink_to("/bin/sh")
    directory = tmp_path_factory.mktemp("sshd-no-bash")
    proc, sshd = start_server(directory, setenv=f"SHLVL=1 PATH={bin_dir}")
    try:
        results = run_all(
            session(sshd), [CommandSpec("X=1; echo one"), CommandSpec("echo ${X:-unset}")]
        )
    finally:
        stop_server(proc)

    assert [(r.exit_code, r.stdout) for r in results] == [(0, "one\n"), (0, "unset\n")]
