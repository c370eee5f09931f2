"""What a metric source is and what a reading gives back.

A reading either has values or an error; a failed source is never a zero. Series: the
value the thresholds compare is `value`; a source may add more (http adds `latency_ms`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

PRIMARY = "value"
DEFAULT_TIMEOUT = 10.0


class SourceError(ValueError):
    """A metric source that cannot be built from its runbook text; says what to write."""


@dataclass(frozen=True)
class Reading:
    """One collection of one metric: its series values, or why there are none."""

    metric: str
    values: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    @property
    def value(self) -> float | None:
        """Return the value thresholds compare, or None when the source failed."""
        return None if self.error is not None else self.values.get(PRIMARY)


class MetricSource(Protocol):
    """Reads one metric now."""

    metric: str

    async def read(self) -> Reading:
        """Return the reading; report failures in `Reading.error`, never raise for them."""
        ...
