"""The garbage collector around start-up: off while the CLI loads, back before the work.

Start-up makes long-lived objects (modules, classes, the runbook): the collector's walks
through them find nothing (figures in docs/benchmarks.md). `main` (cli/app.py) turns it off
first; it comes back before a run's steps (cli/run_drive.py) and before any other command
does its work.
"""

from __future__ import annotations

import sys


def collect_again() -> None:
    """Turn the collector back on, with the start-up heap frozen out of its walks."""
    # lazy: keeps gc off the start-up of `opsbook --help`
    import gc

    # SQLAlchemy's pooled connections are closed only by collections: keep them collectable.
    if "sqlalchemy" not in sys.modules:
        gc.freeze()
    gc.enable()
