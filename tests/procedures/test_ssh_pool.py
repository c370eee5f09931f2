"""A big fan-out spread over worker processes (ssh_pool.py), against a real sshd."""

from __future__ import annotations

import asyncio
import os

import psutil
import pytest

from opsbook.procedures.executors.protocol import CommandResult, CommandSpec
from opsbook.procedures.executors.ssh_hosts import SshHosts
from opsbook.procedures.executors.ssh_pool import WORKERS_FROM, PooledHost
from opsbook.runbook.parser import parse_runbook
from tests.e2e.sshd import SshServer

pytestmark = pytest.mark.e2e


def fleet(sshd: SshServer, count: int) -> SshHosts:
    names = [f"h{i:03d}" for i in range(count)]
    inventory = "".join(
        f"  {n}: {{address: {sshd.address}, user: {sshd.user}, port: {sshd.port}}}\n" for n in names
    )
    text = (
        f"---\nhosts:\n{inventory}groups:\n  fleet: [{', '.join(names)}]\n"
        f"ssh:\n  known_hosts: {sshd.known_hosts}\n  client_keys: [{sshd.client_key}]\n"
        "  workers: auto\n---\n"
        "# Fleet\n"
    )
    return SshHosts(parse_runbook(text), cores=2)


def test_a_big_fan_out_runs_in_worker_processes_with_one_session_per_host(
    sshd: SshServer,
) -> None:
    hosts = fleet(sshd, WORKERS_FROM)
    names = sorted(hosts.runbook.hosts)
    seen: list[str] = []
    workers: list[int] = []
    kinds: set[type] = set()

    async def go() -> tuple[dict[str, CommandResult], dict[str, CommandResult]]:
        try:
            first = await hosts.run(names, CommandSpec("MARK=kept"), 20)
            kinds.update(type(executor) for executor in hosts.executors.values())
            workers.extend(
                child.pid
                for child in psutil.Process(os.getpid()).children()
                if "ssh_worker" in " ".join(child.cmdline())
            )
            second = await hosts.run(
                names,
                CommandSpec('echo "${MARK:-lost} $TAG"', env={"TAG": "b"}),
                20,
                lambda host, _: seen.append(host),
            )
            return first, second
        finally:
            await hosts.close()

    first, second = asyncio.run(go())

    assert all(result.ok for result in first.values())
    # The second step ran in the shell the first one left: the same session per host.
    assert {result.stdout for result in second.values()} == {"kept b\n"}
    assert sorted(seen) == names
    assert kinds == {PooledHost} and len(workers) == 2
    # Closing ends the workers with their sessions.
    assert not any(psutil.pid_exists(pid) for pid in workers)


def test_a_small_fan_out_stays_in_the_run_s_process(sshd: SshServer) -> None:
    hosts = fleet(sshd, 3)

    async def go() -> dict[str, CommandResult]:
        try:
            return await hosts.run(sorted(hosts.runbook.hosts), CommandSpec("true"), 10)
        finally:
            assert hosts.pool is None
            await hosts.close()

    assert all(result.ok for result in asyncio.run(go()).values())
