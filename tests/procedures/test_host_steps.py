"""Steps with host=: one attempt per host, the step passes only if every host passes.

The SSH transport itself is tested against a real sshd in test_ssh.py; here each host is a
real local process told its name, so the runner's per-host logic runs on real commands.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsbook.procedures.confirm import AutoConfirmer
from opsbook.procedures.engine import Plan, RunStatus
from opsbook.procedures.executors.fanout import HostFinished, run_on_hosts
from opsbook.procedures.executors.local import LocalExecutor
from opsbook.procedures.executors.protocol import CommandResult, CommandSpec
from opsbook.procedures.guard import Override
from opsbook.procedures.plan import build_plan
from opsbook.procedures.runner import QuietReporter
from opsbook.procedures.service import Me, execute_run, show_run, start_run
from opsbook.runbook.parser import parse_runbook
from opsbook.store.database import open_database

BOOK = """---
hosts:
  web1: {address: 127.0.0.1}
  web2: {address: 127.0.0.2}
  web3: {address: 127.0.0.3}
groups:
  web: [web1, web2, web3]
---
# Test

## Standard Operating Procedures

### Deploy Procedure

**Steps**:
1. Everyone: `echo "on $OPSBOOK_TEST_HOST"`
2. Not on web2: `test "$OPSBOOK_TEST_HOST" != web2` {host=web parallel=2}

**Rollback**:
1. Undo on all: `echo undo` {host=all}
"""


class NamedLocalHosts:
    """Each named host is a local shell that knows its name; fanned out like SSH hosts."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[str, ...], int]] = []

    async def run(
        self,
        hosts: Sequence[str],
        spec: CommandSpec,
        limit: int,
        on_result: HostFinished | None = None,
    ) -> dict[str, CommandResult]:
        self.calls.append((tuple(hosts), limit))
        executors = []
        for name in hosts:
            executor = LocalExecutor({"OPSBOOK_TEST_HOST": name, "PATH": "/usr/bin:/bin"})
            executor.host = name
            executors.append(executor)
        return await run_on_hosts(executors, spec, limit=limit, on_result=on_result)

    async def close(self) -> None:
        return None


def now() -> datetime:
    return datetime.now(UTC)


class AnyRunMayGo:
    """A RunGuard that lets every run start: this test is about hosts, not guards."""

    def check(self, plan: Plan, now: datetime, override: Override | None) -> None:
        return None


@pytest.mark.process
def test_group_step_records_each_host_and_fails_when_one_host_fails(tmp_path: Path) -> None:
    runbook = parse_runbook(BOOK, str(tmp_path / "RUNBOOK.md"))
    plan = build_plan(runbook, target="deploy", params={}, environ={})
    db = open_database(f"sqlite:///{tmp_path / 'runs.db'}")
    me = Me("alice", "test-machine", 1, 0.0)
    run_id = start_run(db=db, plan=plan, me=me, now=now, guard=AnyRunMayGo())
    hosts = NamedLocalHosts()
    end = asyncio.run(
        execute_run(
            db=db,
            plan=plan,
            run_id=run_id,
            confirmer=AutoConfirmer("alice"),
            reporter=QuietReporter(),
            local=LocalExecutor({"OPSBOOK_TEST_HOST": "local"}),
            remote=hosts,
            now=now,
        )
    )
    assert end.status is RunStatus.ROLLED_BACK
    assert hosts.calls == [(("web1", "web2", "web3"), 2), (("web1", "web2", "web3"), 10)]
    shown = show_run(db=db, run_id=run_id, machine="test-machine", now=now)
    assert shown is not None
    attempts = [(a.step, a.host, a.status) for a in shown.attempts]
    assert attempts == [
        ("steps:1", "local", "passed"),
        ("steps:2", "web1", "passed"),
        ("steps:2", "web2", "failed"),
        ("steps:2", "web3", "passed"),
        ("rollback:1", "web1", "passed"),
        ("rollback:1", "web2", "passed"),
        ("rollback:1", "web3", "passed"),
    ]


def test_host_option_narrows_group_steps_to_that_host(tmp_path: Path) -> None:
    runbook = parse_runbook(BOOK, str(tmp_path / "RUNBOOK.md"))
    plan = build_plan(runbook, target="deploy", params={}, environ={}, host="web1")
    assert [item.hosts for item in plan.items] == [("web1",), ("web1",), ("web1",)]
