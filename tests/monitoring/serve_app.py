"""Serve the app for one runbook and database in its own process (tests and benchmarks).

    python -m tests.monitoring.serve_app RUNBOOK.md DATABASE_URL PORT [--worker]

Without --worker the background loop does not run, so only HTTP requests touch the database.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path


def main(argv: list[str]) -> None:
    from opsbook.store.database import open_database
    from opsbook.web.runbook_source import RunbookSource
    from opsbook.web.server import ServeOptions, build_state, serve
    from opsbook.web.state import AppState

    runbook, url, port = Path(argv[0]), argv[1], int(argv[2])
    db = open_database(url)
    if "--worker" in argv:
        # As `opsbook serve` wires it: the worker loop with every periodic task.
        state = build_state(runbook, db)
    else:
        state = AppState(db=db, source=RunbookSource.load(runbook, datetime.now(UTC)))
        state.run_worker = False
    # As `opsbook serve` runs it: the same Uvicorn settings and process set-up.
    serve(state, ServeOptions(port=port))


if __name__ == "__main__":
    main(sys.argv[1:])
