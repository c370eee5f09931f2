"""`max_fail=` and `batch=` on a step of many hosts, each host a real local shell told its name.

Within the allowance the step passes and the failed hosts stay recorded; over it the step
fails and the run rolls back; batches stop at the first one over the allowance, and the
hosts of later batches never run and are recorded as not run.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsbook.procedures.confirm import AutoConfirmer
from opsbook.procedures.engine import Outcome, Plan, PlanItem, RunStatus
from opsbook.procedures.executors.local import LocalExecutor
from opsbook.procedures.executors.protocol import CommandResult
from opsbook.procedures.plan import build_plan
from opsbook.procedures.runner import QuietReporter, Reporter
from opsbook.procedures.service import Me, execute_run, show_run, start_run
from opsbook.procedures.views import RunDetailView
from opsbook.runbook.parser import parse_runbook
from opsbook.store.database import Database, open_database
from tests.procedures.test_host_steps import AnyRunMayGo, NamedLocalHosts

pytestmark = pytest.mark.process

HOSTS = [f"web{n:02d}" for n in range(1, 21)]


def book(attrs: str, failing: list[str], retries: str = "") -> str:
    hosts = "\n".join(f"  {h}: {{address: 127.0.0.1}}" for h in HOSTS)
    fail = "|".join(failing) or "none"
    command = f'case "$OPSBOOK_TEST_HOST" in {fail}) echo broken; exit 1;; esac; echo ok'
    return f"""---
hosts:
{hosts}
groups:
  web: [{", ".join(HOSTS)}]
---
# Test

## Standard Operating Procedures

### Deploy Procedure

**Steps**:
1. Deploy: `{command}` {{host=web {attrs} {retries}}}
2. After: `echo after`

**Rollback**:
1. Undo: `echo undo`
"""


def now() -> datetime:
    return datetime.now(UTC)


def run(
    tmp_path: Path,
    text: str,
    reporter: Reporter | None = None,
    db_file: Path | None = None,
    on_plan: Callable[[Plan], Reporter] | None = None,
) -> tuple[RunStatus, RunDetailView, NamedLocalHosts, Database]:
    """Run the deploy procedure of `text` with each host a local shell; its end and record."""
    runbook = parse_runbook(text, str(tmp_path / "RUNBOOK.md"))
    plan = build_plan(runbook, target="deploy", params={}, environ={})
    if on_plan is not None:
        reporter = on_plan(plan)
    db = open_database(f"sqlite:///{db_file or tmp_path / 'runs.db'}")
    me = Me("alice", "test-machine", 1, 0.0)
    run_id = start_run(db=db, plan=plan, me=me, now=now, guard=AnyRunMayGo())
    hosts = NamedLocalHosts()
    end = asyncio.run(
        execute_run(
            db=db,
            plan=plan,
            run_id=run_id,
            confirmer=AutoConfirmer("alice"),
            reporter=reporter or QuietReporter(),
            local=LocalExecutor({"OPSBOOK_TEST_HOST": "local"}),
            remote=hosts,
            now=now,
        )
    )
    shown = show_run(db=db, run_id=run_id, machine="test-machine", now=now)
    assert shown is not None
    return end.status, shown, hosts, db


def statuses(shown: RunDetailView, step: str = "steps:1") -> dict[str, str]:
    return {a.host: a.status for a in shown.attempts if a.step == step}


def test_failures_within_max_fail_count_pass_the_step_and_stay_recorded(tmp_path: Path) -> None:
    status, shown, _, _ = run(tmp_path, book("max_fail=2", ["web04", "web11"]))
    assert status is RunStatus.SUCCEEDED
    assert shown.steps["steps:1"] == "passed" and shown.steps["steps:2"] == "passed"
    by_host = statuses(shown)
    assert [h for h, s in by_host.items() if s == "failed"] == ["web04", "web11"]
    assert list(by_host.values()).count("passed") == 18


def test_failures_over_max_fail_percentage_fail_the_step_and_roll_back(tmp_path: Path) -> None:
    # 10% of 20 hosts allows 2; three fail.
    status, shown, _, _ = run(tmp_path, book("max_fail=10%", ["web01", "web02", "web20"]))
    assert status is RunStatus.ROLLED_BACK
    assert shown.steps["steps:1"] == "failed" and "steps:2" not in shown.steps
    assert list(statuses(shown).values()).count("failed") == 3
    assert any(a.step == "rollback:1" for a in shown.attempts)


def test_max_fail_percentage_within_allowance_passes(tmp_path: Path) -> None:
    status, _, _, _ = run(tmp_path, book("max_fail=10%", ["web01", "web20"]))
    assert status is RunStatus.SUCCEEDED


def test_batches_stop_at_the_first_failing_batch_and_later_hosts_never_run(
    tmp_path: Path,
) -> None:
    status, shown, hosts, _ = run(tmp_path, book("batch=25%", ["web07"]))
    assert status is RunStatus.ROLLED_BACK
    # Two batches of five ran; the rollback ran on every host.
    assert hosts.calls[:2] == [(tuple(HOSTS[:5]), 10), (tuple(HOSTS[5:10]), 10)]
    assert hosts.calls[2:] == []
    by_host = statuses(shown)
    assert by_host["web07"] == "failed"
    assert [h for h, s in by_host.items() if s == "not-run"] == HOSTS[10:]
    assert all(by_host[h] == "passed" for h in HOSTS[:10] if h != "web07")


def test_max_fail_counts_over_the_batches_so_far(tmp_path: Path) -> None:
    # One failure in the first batch is allowed; the second, in the third batch, is over it.
    status, shown, hosts, _ = run(tmp_path, book("batch=4 max_fail=1", ["web02", "web10"]))
    assert status is RunStatus.ROLLED_BACK
    assert [len(c[0]) for c in hosts.calls] == [4, 4, 4]
    by_host = statuses(shown)
    assert [h for h, s in by_host.items() if s == "failed"] == ["web02", "web10"]
    assert [h for h, s in by_host.items() if s == "not-run"] == HOSTS[12:]


def test_all_batches_run_when_failures_stay_within_the_allowance(tmp_path: Path) -> None:
    status, shown, hosts, _ = run(tmp_path, book("batch=5 max_fail=2", ["web03", "web18"]))
    assert status is RunStatus.SUCCEEDED
    assert len(hosts.calls) == 4
    assert "not-run" not in statuses(shown).values()


def test_retries_go_on_per_host_inside_a_batch(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    # web03 fails its first try only: a retry passes it, and every batch runs.
    text = book("batch=5", ["web03"], "retries=1").replace(
        'case "$OPSBOOK_TEST_HOST" in web03)',
        f'test -e {marks}/"$OPSBOOK_TEST_HOST" || case "$OPSBOOK_TEST_HOST" in web03) '
        f'touch {marks}/"$OPSBOOK_TEST_HOST";',
    )
    status, shown, hosts, _ = run(tmp_path, text)
    assert status is RunStatus.SUCCEEDED, [(a.host, a.status, a.stdout) for a in shown.attempts]
    assert hosts.calls[:3] == [(tuple(HOSTS[:5]), 10), (("web03",), 10), (tuple(HOSTS[5:10]), 10)]
    web03 = [(a.attempt, a.status) for a in shown.attempts if a.host == "web03"]
    assert web03[:2] == [(1, "failed"), (2, "passed")]


class Watching:
    """A reporter that, as each host ends, reads the run's record from the database."""

    def __init__(self, tmp_path: Path) -> None:
        self.path = tmp_path / "runs.db"
        self.seen: list[tuple[str, str | None]] = []

    def step_started(self, item: PlanItem) -> None:
        return None

    def retrying(self, item: PlanItem, attempt: int, failed: Mapping[str, CommandResult]) -> None:
        return None

    def host_finished(self, item: PlanItem, host: str, result: CommandResult, ok: bool) -> None:
        if item.key != "steps:1":
            return
        # Read as another process would (show_run would judge this run's process dead).
        with sqlite3.connect(self.path) as db:
            rows = db.execute("SELECT host, status FROM step_attempts WHERE step_key = 'steps:1'")
            recorded = dict(rows.fetchall())
        self.seen.append((host, recorded.get(host)))
        assert ok is (host != "web05")

    def step_finished(
        self, item: PlanItem, outcome: Outcome, results: Mapping[str, CommandResult], note: str
    ) -> None:
        return None

    def asking(self) -> AbstractContextManager[None]:
        return nullcontext()


def test_each_host_is_recorded_and_reported_as_it_ends(tmp_path: Path) -> None:
    watching = Watching(tmp_path)
    status, _, _, _ = run(tmp_path, book("max_fail=1", ["web05"]), watching)
    assert status is RunStatus.SUCCEEDED
    assert sorted(h for h, _ in watching.seen) == HOSTS
    # Each host's attempt was already in the record when the reporter heard of it.
    assert all(s == ("failed" if h == "web05" else "passed") for h, s in watching.seen)
