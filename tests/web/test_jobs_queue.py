"""The jobs queue: each job is claimed by exactly one worker (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from opsbook.store.database import Database, open_database
from opsbook.worker.queue import claim, counts, enqueue, enqueue_many, finish
from tests.postgres import fresh_schema

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_claimed_job_is_not_claimed_again(db: Database) -> None:
    enqueue_many(db, kind="k", payloads=[{"n": i} for i in range(5)], now=NOW)
    first = claim(db, worker="a", now=NOW, limit=3)
    second = claim(db, worker="b", now=NOW, limit=3)
    assert [j.payload["n"] for j in first] == [0, 1, 2]
    assert [j.payload["n"] for j in second] == [3, 4]
    assert claim(db, worker="c", now=NOW, limit=3) == []


def test_a_job_is_not_claimed_before_it_is_due(db: Database) -> None:
    enqueue(db, kind="k", payload={}, now=NOW, run_after=NOW + timedelta(minutes=5))
    assert claim(db, worker="a", now=NOW, limit=1) == []
    assert len(claim(db, worker="a", now=NOW + timedelta(minutes=5), limit=1)) == 1


def test_a_job_finishes_once(db: Database) -> None:
    job_id = enqueue(db, kind="k", payload={}, now=NOW)
    claim(db, worker="a", now=NOW)
    assert finish(db, job_id=job_id, now=NOW, error="boom") is True
    assert finish(db, job_id=job_id, now=NOW) is False
    assert counts(db) == {"failed": 1}


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_schema("jobs") as url:
        yield url


def _drain_with_two_workers(url: str, jobs: int) -> tuple[list[tuple[int, str]], list[str]]:
    db = open_database(url)
    with db.transaction() as session:
        session.execute(text("CREATE TABLE processed (job_id INTEGER, worker TEXT)"))
    enqueue_many(db, kind="record", payloads=[{"n": i} for i in range(jobs)], now=NOW)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.web.jobs_worker", url, name],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("w1", "w2")
    ]
    outputs = [w.communicate(timeout=240)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0]
    with db.transaction() as session:
        rows = [(r[0], r[1]) for r in session.execute(text("SELECT job_id, worker FROM processed"))]
    assert counts(db) == {"done": jobs}
    db.dispose()
    return rows, outputs


def test_two_worker_processes_on_postgresql_run_1000_jobs_exactly_once(pg_url: str) -> None:
    rows, outputs = _drain_with_two_workers(pg_url, 1000)
    job_ids = [job_id for job_id, _ in rows]
    assert len(job_ids) == 1000 and len(set(job_ids)) == 1000
    per_worker = {w: sum(1 for _, who in rows if who == w) for w in ("w1", "w2")}
    assert per_worker["w1"] > 0 and per_worker["w2"] > 0, per_worker
    assert sorted(int(o) for o in outputs) == sorted(per_worker.values())


@pytest.mark.process
def test_two_worker_processes_on_sqlite_run_200_jobs_exactly_once(tmp_path: Path) -> None:
    rows, _ = _drain_with_two_workers(f"sqlite:///{tmp_path / 'q.db'}", 200)
    job_ids = [job_id for job_id, _ in rows]
    assert len(job_ids) == 200 and len(set(job_ids)) == 200
