"""Two `opsbook serve` processes on one PostgreSQL share the work: every run started
through one of them is driven exactly once, by one server or the other."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from opsbook.procedures.run_jobs import RUN_JOB
from tests.web.served import bootstrap_token, serve_runbook
from tests.web.test_jobs_queue import pg_url  # noqa: F401  (the fixture)

RUNS = 16


def test_two_servers_drive_each_run_exactly_once(
    pg_url: str,  # noqa: F811
    runbook_path: Path,
    tmp_path: Path,
) -> None:
    first, base = serve_runbook(runbook_path, pg_url, tmp_path / "a", "--bootstrap-admin", "two")
    second, _ = serve_runbook(runbook_path, pg_url, tmp_path / "b")
    try:
        headers = {"Authorization": f"Bearer {bootstrap_token(first)}"}
        ids = [
            httpx.post(f"{base}/api/v1/procedures/quick/runs", headers=headers, json={}).json()[
                "id"
            ]
            for _ in range(RUNS)
        ]
        deadline = time.monotonic() + 120
        while True:
            page = httpx.get(
                f"{base}/api/v1/runs?limit=100&procedure=quick", headers=headers
            ).json()
            done = [r for r in page["runs"] if r["status"] not in ("running", "waiting")]
            if len(done) == RUNS:
                break
            assert time.monotonic() < deadline, page
            time.sleep(0.3)
        assert {r["status"] for r in done} == {"succeeded"}
    finally:
        for server in (first, second):
            server.terminate()
            server.wait(timeout=30)
    engine = create_engine(pg_url)
    with engine.connect() as connection:
        attempts = connection.execute(
            text("SELECT run_id, count(*) FROM step_attempts GROUP BY run_id")
        ).all()
        drivers = connection.execute(text("SELECT DISTINCT pid FROM runs")).scalars().all()
        # Only the procedure runs' jobs: the servers also queue their own (a maintenance task
        # of the runbook that is due at start, say).
        jobs = connection.execute(
            text("SELECT count(*), count(DISTINCT claimed_by) FROM jobs WHERE kind = :kind"),
            {"kind": RUN_JOB},
        ).one()
    engine.dispose()
    assert sorted(run_id for run_id, _ in attempts) == sorted(ids)
    assert {n for _, n in attempts} == {1}  # each run's one step ran once
    assert jobs[0] == RUNS
    assert len(drivers) == 2 and jobs[1] == 2, (drivers, jobs)
