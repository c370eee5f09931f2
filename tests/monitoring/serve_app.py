"""Serve the app for one runbook and database in its own process (tests and benchmarks).

    python -m tests.monitoring.serve_app RUNBOOK.md DATABASE_URL PORT [--worker]

Without --worker the background loop does not run, so only HTTP requests touch the database.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path


def main(argv: list[str]) -> None:
    import uvicorn

    from opsbook.store.database import open_database
    from opsbook.web.app import create_app
    from opsbook.web.runbook_source import RunbookSource
    from opsbook.web.state import AppState

    runbook, url, port = Path(argv[0]), argv[1], int(argv[2])
    db = open_database(url)
    if "--worker" in argv:
        from opsbook.web.server import build_state

        # As `opsbook serve` wires it: the worker loop with every periodic task.
        state = build_state(runbook, db)
    else:
        state = AppState(db=db, source=RunbookSource.load(runbook, datetime.now(UTC)))
        state.run_worker = False
    uvicorn.run(
        create_app(state), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main(sys.argv[1:])
