"""Which shell a host gets for a run (SshHosts): a session, or a shell for its one command."""

from __future__ import annotations

from opsbook.procedures.executors.ssh import SshExecutor
from opsbook.procedures.executors.ssh_hosts import SshHosts
from opsbook.procedures.executors.ssh_session import SshSession
from opsbook.procedures.plan import build_plan
from opsbook.runbook.parser import parse_runbook

BOOK = """---
hosts:
  web1: {address: 10.0.0.1}
  web2: {address: 10.0.0.2}
  db1: {address: 10.0.0.3}
  cache1: {address: 10.0.0.4}
groups:
  web: [web1, web2]
%s---
# Test

## Standard Operating Procedures

### Deploy Procedure

**Steps**:
1. Stop the web hosts: `systemctl stop app` {host=web}
2. Start web1 again: `systemctl start app` {host=web1}
3. Migrate: `migrate` {host=db1}
4. Warm the cache: `warm` {host=cache1 retries=2}
5. Note it here: `echo done`

**Rollback**:
1. Undo the migration: `migrate --undo` {host=db1}
"""


def hosts_for(settings: str = "") -> SshHosts:
    runbook = parse_runbook(BOOK % settings)
    plan = build_plan(runbook, target="deploy", params={}, environ={})
    return SshHosts(runbook, plan=plan)


def test_a_host_with_one_command_in_the_run_gets_a_shell_for_it_not_a_session() -> None:
    hosts = hosts_for()

    assert hosts.run_once == {"web2"}
    assert type(hosts.executor("web2")) is SshExecutor
    assert type(hosts.executor("web1")) is SshSession


def test_rollback_items_and_retries_count_as_more_commands() -> None:
    hosts = hosts_for()

    # db1: a step and its rollback; cache1: one step that may run three times.
    assert type(hosts.executor("db1")) is SshSession
    assert type(hosts.executor("cache1")) is SshSession


def test_without_a_plan_every_host_gets_a_session() -> None:
    runbook = parse_runbook(BOOK % "")

    assert type(SshHosts(runbook).executor("web2")) is SshSession


def test_per_step_gives_every_host_a_shell_per_step_and_keeps_login() -> None:
    hosts = hosts_for("ssh:\n  shell: per-step\n  login: true\n")

    executor = hosts.executor("web1")
    assert type(executor) is SshExecutor and executor.login is True
