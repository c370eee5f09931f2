"""The scheduler on a fake clock: due runs queued once, missed ones reported across a restart,
and two workers on PostgreSQL running each due task exactly once over a year."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opsbook.maintenance import service
from opsbook.maintenance.perform import LocalPerformer
from opsbook.maintenance.run_states import RunState
from opsbook.maintenance.tasks import TaskSpec, task_specs
from opsbook.runbook.parser import parse_runbook
from opsbook.store.database import Database, open_database
from opsbook.worker.queue import claim, finish

pytestmark = pytest.mark.process  # the tasks are real commands

T0 = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)


def _specs(folder: Path, rows: str) -> list[TaskSpec]:
    text = (
        "# Demo\n\n## Maintenance Procedures\n\n### Regular Maintenance Tasks\n\n"
        "| Task | Frequency | Owner | Last Completed | Next Due | Run |\n"
        "|------|-----------|-------|----------------|----------|-----|\n" + rows
    )
    return task_specs(parse_runbook(text, str(folder / "RUNBOOK.md")))


def _work(db: Database, specs: list[TaskSpec], folder: Path, now: datetime, name: str) -> int:
    """Claim and perform every queued maintenance job, as a worker does; return how many."""
    performer = LocalPerformer(folder)
    done = 0
    while jobs := claim(db, worker=name, now=now, limit=4):
        for job in jobs:
            spec = next(s for s in specs if s.key == job.payload["task"])
            service.perform_run(
                db=db, run_id=job.payload["run"], spec=spec, performer=performer, clock=lambda: now
            )
            finish(db, job_id=job.id, now=now)
            done += 1
    return done


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_missed_runs_across_a_restart_are_reported_never_run_twice(
    database: Database, tmp_path: Path
) -> None:
    specs = _specs(
        tmp_path,
        '| Rotate | Daily at 02:30 Europe/Berlin | ops | | | `echo "$(date +%s)" >> ran.txt` |\n',
    )
    (task,) = service.list_tasks(db=database, specs=specs, now=T0)
    assert task.next_run == datetime(2026, 3, 28, 1, 30, tzinfo=UTC)
    assert service.schedule_due(db=database, specs=specs, now=T0).queued == ()

    first = datetime(2026, 3, 28, 1, 31, tzinfo=UTC)
    scheduled = service.schedule_due(db=database, specs=specs, now=first)
    assert len(scheduled.queued) == 1 and scheduled.missed == ()
    assert _work(database, specs, tmp_path, first, "w1") == 1
    assert len(_lines(tmp_path / "ran.txt")) == 1

    # opsbook stops; it starts again three days later, a new process on the same database.
    database.dispose()
    restarted = open_database(database.url)
    later = datetime(2026, 3, 31, 9, 0, tzinfo=UTC)
    again = service.schedule_due(db=restarted, specs=specs, now=later)
    assert len(again.missed) == 2 and len(again.queued) == 1
    for _ in range(3):  # and again, as a second tick or a second restart would
        assert service.schedule_due(db=restarted, specs=specs, now=later) == service.ScheduledView()
    assert _work(restarted, specs, tmp_path, later, "w1") == 1
    assert _work(restarted, specs, tmp_path, later, "w2") == 0
    assert len(_lines(tmp_path / "ran.txt")) == 2

    runs = service.history(db=restarted, task="rotate")
    by_state = sorted((r.state, r.due_at) for r in runs)
    assert by_state == [
        # 29 March, when Berlin springs forward: 02:30 does not exist, due at 03:30 CEST.
        (RunState.MISSED, datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        (RunState.MISSED, datetime(2026, 3, 30, 0, 30, tzinfo=UTC)),
        (RunState.SUCCEEDED, datetime(2026, 3, 28, 1, 30, tzinfo=UTC)),
        (RunState.SUCCEEDED, datetime(2026, 3, 31, 0, 30, tzinfo=UTC)),
    ]
    assert all("missed" in r.detail for r in runs if r.state == RunState.MISSED)
    (after,) = service.list_tasks(db=restarted, specs=specs, now=later)
    assert after.standing == "ok" and after.next_due == datetime(2026, 4, 1, 0, 30, tzinfo=UTC)
    restarted.dispose()


@pytest.fixture
def two_workers() -> Iterator[tuple[Database, Database]]:
    """Two `opsbook serve` workers' connections to one PostgreSQL schema."""
    from tests.postgres import fresh_schema

    with fresh_schema("maintenance_workers") as url:
        first, second = open_database(url), open_database(url)
        yield first, second
        first.dispose()
        second.dispose()


def test_two_workers_on_postgresql_run_each_due_task_exactly_once_for_a_year(
    two_workers: tuple[Database, Database], tmp_path: Path
) -> None:
    specs = _specs(
        tmp_path,
        "| Daily | Daily at 03:00 America/New_York | ops | | | `echo d >> daily.txt` |\n"
        "| Weekly | Weekly on Sunday at 02:30 Europe/Berlin | ops | | | `echo w >> weekly.txt` |\n",
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    service.sync_tasks(db=two_workers[0], specs=specs, now=start)
    ticks = [start + timedelta(hours=6 * i) for i in range(1, 4 * 365 + 1)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(db: Database, name: str) -> None:
        try:
            for now in ticks:
                barrier.wait()
                service.schedule_due(db=db, specs=specs, now=now)
                _work(db, specs, tmp_path, now, name)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
            barrier.abort()

    threads = [
        threading.Thread(target=worker, args=(db, f"w{i}")) for i, db in enumerate(two_workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    runs = service.history(db=two_workers[1], limit=1000)
    daily = [r for r in runs if r.task == "daily"]
    weekly = [r for r in runs if r.task == "weekly"]
    assert len(_lines(tmp_path / "daily.txt")) == len(daily) == 365
    assert len(_lines(tmp_path / "weekly.txt")) == len(weekly) == 52
    assert {r.state for r in runs} == {RunState.SUCCEEDED}
    assert len({r.due_at for r in daily}) == 365


def test_a_run_whose_process_died_is_interrupted_not_run_again(
    database: Database, tmp_path: Path
) -> None:
    import socket
    import subprocess

    import psutil
    from sqlalchemy import update

    from opsbook.maintenance.reaping import reap_interrupted
    from opsbook.maintenance.tables import TaskRunRow

    specs = _specs(tmp_path, "| Rotate | Daily | ops | | | `echo ran >> ran.txt` |\n")
    run_id = service.request_run(
        db=database, spec=specs[0], actor="ana", source="cli", now=T0, queue=True
    )
    gone = subprocess.Popen(["sleep", "30"])
    born = psutil.Process(gone.pid).create_time()
    gone.kill()
    gone.wait()
    with database.transaction() as session:  # as a worker killed mid-run leaves it
        session.execute(
            update(TaskRunRow)
            .where(TaskRunRow.id == run_id)
            .values(state="running", worker=f"{socket.gethostname()}:{gone.pid}:{born:.0f}")
        )
    alive = service.request_run(
        db=database, spec=specs[0], actor="ana", source="cli", now=T0, queue=False
    )
    with database.transaction() as session:  # one of this very process: alive
        session.execute(
            update(TaskRunRow)
            .where(TaskRunRow.id == alive)
            .values(
                state="running",
                worker=f"{socket.gethostname()}:{os.getpid()}:"
                f"{psutil.Process(os.getpid()).create_time():.0f}",
            )
        )
    assert reap_interrupted(db=database, machine=socket.gethostname(), now=T0) == [run_id]
    runs = {r.id: r for r in service.history(db=database, task="rotate")}
    assert runs[run_id].state == "interrupted" and "its process died" in runs[run_id].detail
    assert runs[alive].state == "running"
    # Its job, claimed by a worker, is refused: an interrupted run never starts again.
    from opsbook.transitions import TransitionRefused

    with pytest.raises(TransitionRefused, match="interrupted maintenance run cannot start"):
        _work(database, specs, tmp_path, T0, "w1")
    assert not (tmp_path / "ran.txt").exists()
