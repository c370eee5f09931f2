"""Severity levels and response deadlines, read from the runbook's severity table."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from opsbook.errors import BadInput
from opsbook.runbook.model import Runbook, SeverityLevel

# The template's table, used when a runbook has none (or leaves a response time empty).
DEFAULT_LEVELS = (
    SeverityLevel("SEV-1", "Critical - Complete outage", 900.0, "System down", "15 min"),
    SeverityLevel("SEV-2", "High - Major degradation", 3600.0, "Performance issues", "1 hour"),
    SeverityLevel("SEV-3", "Medium - Partial impact", 14400.0, "Non-critical feature", "4 hours"),
    SeverityLevel("SEV-4", "Low - Minor issue", 86400.0, "Cosmetic bug", "1 day"),
)
# Dashboard colours, by rank: SEV-1 red ... SEV-4 grey.
COLOURS = ("#c62828", "#ef6c00", "#f9a825", "#607d8b")


class UnknownSeverity(BadInput):
    """The severity is not in the runbook's table; the message lists the known ones."""


@dataclass(frozen=True)
class Severity:
    level: str
    response_seconds: float
    description: str = ""
    rank: int = 0

    @property
    def colour(self) -> str:
        """Return the dashboard colour of this level."""
        return COLOURS[min(self.rank, len(COLOURS) - 1)]

    def respond_by(self, opened_at: datetime) -> datetime:
        """Return when someone must have acknowledged an incident opened at `opened_at`."""
        return opened_at + timedelta(seconds=self.response_seconds)


def normalise(text: str) -> str:
    """Return the canonical spelling of a level: `sev2`, `SEV 2`, `2` -> `SEV-2`."""
    cleaned = text.strip().upper()
    match = re.fullmatch(r"(?:SEV)?[-_ ]?(\d+)", cleaned)
    return f"SEV-{match.group(1)}" if match else cleaned


def levels(runbook: Runbook) -> tuple[Severity, ...]:
    """Return the runbook's severity levels (the template's when it has none)."""
    table = runbook.severity_levels or DEFAULT_LEVELS
    defaults = {lvl.level: lvl.response_seconds for lvl in DEFAULT_LEVELS}
    out = []
    for rank, level in enumerate(table):
        name = normalise(level.level)
        seconds = level.response_seconds or defaults.get(name) or 3600.0
        out.append(Severity(name, seconds, level.description, rank))
    return tuple(out)


def severity(runbook: Runbook, text: str) -> Severity:
    """Find a severity level by name, or raise UnknownSeverity naming the known levels."""
    wanted = normalise(text)
    known = levels(runbook)
    for level in known:
        if level.level == wanted:
            return level
    names = ", ".join(level.level for level in known)
    raise UnknownSeverity(
        f'severity "{text}" is not in the runbook\'s table (known: {names})',
        "use a level of the runbook's Severity Levels table",
    )
