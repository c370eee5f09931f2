"""A metric gate: a condition on a metric that must hold for a duration.

Judged on the readings so far, as pure rules: it breaks at the first reading that misses
the condition; it holds once readings met it from the start for the whole duration; a
reading with no value (the source did not answer, no data) makes it inconclusive, never a
pass, so a person decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from opsbook.monitoring.rules import breached
from opsbook.runbook.model import Threshold


class Verdict(StrEnum):
    """Where a gate stands."""

    WATCHING = "watching"
    HELD = "held"
    BROKEN = "broken"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Sample:
    """One reading of the gate's metric: its value, or why there is none."""

    at: datetime
    value: float | None
    error: str | None = None


@dataclass(frozen=True)
class Judgement:
    """The gate's verdict and the reading that decided it (None: still watching, or held)."""

    verdict: Verdict
    reason: str
    sample: Sample | None = None


def condition_text(condition: Threshold) -> str:
    """Return the condition as people write it: `< 1`."""
    return f"{condition.op} {condition.value:g}"


def judge(
    condition: Threshold, samples: list[Sample], started: datetime, hold: timedelta
) -> Judgement:
    """Return the gate's verdict on the samples read since it started."""
    want = condition_text(condition)
    for sample in samples:
        if sample.value is None:
            why = sample.error or "no value"
            return Judgement(
                Verdict.INCONCLUSIVE, f"no reading at {sample.at:%H:%M:%S}: {why}", sample
            )
        if not breached(condition, sample.value):
            return Judgement(
                Verdict.BROKEN,
                f"value {sample.value:g} at {sample.at:%H:%M:%S} is not {want}",
                sample,
            )
    if samples and samples[-1].at - started >= hold:
        return Judgement(
            Verdict.HELD, f"{want} held for {hold.total_seconds():g}s over {len(samples)} readings"
        )
    return Judgement(Verdict.WATCHING, f"{want} so far ({len(samples)} readings)")
