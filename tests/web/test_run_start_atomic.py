"""Starting a run from the web records the run and queues its job in one transaction: a
process killed with SIGKILL between the two leaves neither, never a run `running` that no
job will ever drive. Each case kills a real child process on a real SQLite file."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from opsbook.store.database import Database

pytestmark = pytest.mark.process

# The child starts a run the way the API and the dashboard do (web/runs/actions.py), and
# SIGKILLs itself at one point: the moment a row is written (inside its transaction, before
# any commit that comes after it), or once the start has returned.
CHILD = """
import os, signal, sys
from pathlib import Path

from sqlalchemy import event

from opsbook.access.model import Principal
from opsbook.access.roles import Role
from opsbook.procedures.stores.tables import RunRow
from opsbook.store.database import open_database
from opsbook.web.runs import actions
from opsbook.web.server import build_state
from opsbook.worker.tables import JobRow

database, runbook, point = sys.argv[1:4]


def die(*_: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


if point == "run written":
    event.listen(RunRow, "after_insert", die)
elif point == "job about to be written":
    event.listen(JobRow, "before_insert", die)
state = build_state(Path(runbook), open_database(f"sqlite:///{database}", migrate=False))
actions.start(state, "quick", {}, None, Principal("olga", Role.OPERATOR, "token"))
die()
"""


def _counts(path: Path) -> tuple[int, int]:
    with closing(sqlite3.connect(path)) as connection:
        runs = connection.execute("SELECT count(*) FROM runs").fetchone()[0]
        jobs = connection.execute(
            "SELECT count(*) FROM jobs WHERE kind = 'procedure.run' AND status = 'queued'"
        ).fetchone()[0]
    return int(runs), int(jobs)


@pytest.mark.parametrize(
    ("point", "left"),
    [
        # Between the two points of the old code path (run committed, then job queued).
        ("run written", (0, 0)),
        ("job about to be written", (0, 0)),
        ("start returned", (1, 1)),
    ],
)
def test_a_process_killed_while_starting_a_run_leaves_the_run_and_its_job_or_neither(
    point: str, left: tuple[int, int], db: Database, runbook_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "state" / "opsbook.db"
    db.dispose()  # the child writes; nothing of this process holds the file
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(runbook_path), point],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert _counts(path) == left
