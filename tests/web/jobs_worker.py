"""A worker process for the queue tests: drains the queue, recording each job it ran.

Run as `python -m tests.web.jobs_worker DATABASE_URL NAME`. Each job inserts one row into
`processed` (no unique key, so a job run twice would show up twice).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from sqlalchemy import text

from opsbook.store.database import open_database
from opsbook.worker.loop import Periodic, WorkerLoop
from opsbook.worker.queue import Job, counts


def main(url: str, name: str) -> None:
    db = open_database(url)
    loop: WorkerLoop

    def record(job: Job) -> None:
        with db.transaction() as session:
            session.execute(
                text("INSERT INTO processed (job_id, worker) VALUES (:j, :w)"),
                {"j": job.id, "w": name},
            )

    async def handle(job: Job) -> None:
        await asyncio.to_thread(record, job)

    async def stop_when_drained() -> None:
        left = await asyncio.to_thread(counts, db)
        if not left.get("queued") and not loop.in_flight:
            loop.stop()

    loop = WorkerLoop(
        db,
        name=name,
        handlers={"record": handle},
        clock=lambda: datetime.now(UTC),
        poll=0.05,
        concurrency=4,
        periodic=(Periodic("drained?", 0.2, stop_when_drained),),
    )
    asyncio.run(loop.run())
    print(loop.processed)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
