"""The incident worker's hot path: the tick every 5 s that re-reads due escalations from the
database, beside listing open incidents for the dashboard, on SQLite (WAL).

Fills a database with N incidents (most resolved, some open and acknowledged, some open and
not yet due), then times:

- an idle tick: `escalate_due` when nothing is due (what the worker does almost always);
- a busy tick: `escalate_due` when M incidents fall due at once (a restart after an outage);
- `list_incidents(only_open=True)` (the dashboard's list and overview panel).

    .venv/bin/python bench/incident_escalation.py [--incidents 10000] [--due 1000] [--write]

--write replaces this benchmark's section of docs/benchmarks.md (between its markers).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from doc_section import markers, replace_section

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
START, END = markers("incident_escalation")
EXAMPLE = ROOT / "examples" / "tinyweb" / "RUNBOOK.md"


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        out.append(time.perf_counter() - started)
    return out


def fill(db: object, runbook: object, total: int, due: int, now: datetime) -> None:
    from sqlalchemy import insert

    from opsbook.incidents.tables import IncidentRow

    rows = []
    for n in range(total):
        opened = now - timedelta(hours=3)
        status, next_at = "resolved", None
        if n < due:  # open, nobody acknowledged, the backup is due
            status, next_at = "detected", now - timedelta(minutes=1)
        elif n < 2 * due:  # open and acknowledged: no timer
            status = "acknowledged"
        elif n < 3 * due:  # open, not yet due
            status, next_at, opened = "detected", now + timedelta(minutes=30), now
        rows.append(
            {
                "title": f"incident {n}",
                "severity": "SEV-2",
                "status": status,
                "security": False,
                "cause": None,
                "commander": None,
                "participants": [],
                "opened_at": opened,
                "opened_by": "bench",
                "window_seconds": 3600.0,
                "respond_by": opened + timedelta(hours=1),
                "escalation_done": 1,
                "next_escalation_at": next_at,
            }
        )
    with db.transaction() as session:  # type: ignore[attr-defined]
        session.execute(insert(IncidentRow), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10000)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()

    from opsbook.incidents.paging import escalate_due
    from opsbook.incidents.service import list_incidents
    from opsbook.runbook.loader import load_runbook
    from opsbook.store.database import open_database

    runbook = load_runbook(EXAMPLE)
    now = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as work:
        db = open_database(f"sqlite:///{Path(work) / 'bench.db'}")
        fill(db, runbook, args.incidents, args.due, now)
        started = time.perf_counter()
        queued = escalate_due(db=db, runbook=runbook, now=now, limit=args.due)
        busy = time.perf_counter() - started
        idle = timed(lambda: escalate_due(db=db, runbook=runbook, now=now), args.repeat)
        listing = timed(lambda: list_incidents(db=db, only_open=True, limit=100), args.repeat)
        db.dispose()
    cores = os.cpu_count()
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    rows = [
        ("idle tick: escalate_due, nothing due", f"{statistics.median(idle) * 1000:.2f} ms"),
        (
            f"busy tick: escalate_due, {args.due} due ({queued} pages queued)",
            f"{busy * 1000:.0f} ms ({busy / max(args.due, 1) * 1000:.2f} ms per incident)",
        ),
        (
            "list_incidents(only_open=True, limit=100)",
            f"{statistics.median(listing) * 1000:.2f} ms",
        ),
    ]
    text = "\n".join(
        [
            START,
            "## Incident escalation tick and open-incident list",
            "",
            f"Command: `.venv/bin/python bench/incident_escalation.py --incidents {args.incidents} "
            f"--due {args.due} --write`",
            "",
            f"Machine: {cores} cores ({model}), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}; SQLite (WAL) in a temporary directory. "
            f"Load average when the run ended: {load} (other work shared the machine).",
            "",
            f"{args.incidents} incidents: {args.due} open and overdue, {args.due} acknowledged, "
            f"{args.due} open and not yet due, the rest resolved. The worker runs the tick every "
            f"5 s; medians of {args.repeat} runs (the busy tick runs once).",
            "",
            "| what | time |",
            "|---|---|",
            *[f"| {what} | {value} |" for what, value in rows],
            END,
        ]
    )
    print(text)
    if args.write:
        replace_section(START, END, text)


if __name__ == "__main__":
    main()
