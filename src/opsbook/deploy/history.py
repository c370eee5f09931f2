"""The runbook's Version History, each row with the run or incident its text names."""

from __future__ import annotations

import re

from opsbook.deploy.views import HistoryView
from opsbook.runbook.model import Runbook

_RUN = re.compile(r"\brun\s+#?(\d+)\b", re.IGNORECASE)
_INCIDENT = re.compile(r"\bincident\s+#?(\d+)\b", re.IGNORECASE)


def version_history(runbook: Runbook) -> list[HistoryView]:
    """Return the Version History rows, newest last as the table has them."""
    out: list[HistoryView] = []
    for row in runbook.version_history:
        run = _RUN.search(row.changes)
        incident = _INCIDENT.search(row.changes)
        out.append(
            HistoryView(
                version=row.version,
                date=row.date,
                author=row.author,
                changes=row.changes,
                run_id=int(run.group(1)) if run else None,
                incident_id=int(incident.group(1)) if incident else None,
            )
        )
    return out
