"""A metric gate held for a duration: holds, breaks, or is inconclusive (never a pass)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from opsbook.deploy.gate_watch import watch
from opsbook.deploy.gates import Sample, Verdict, judge
from opsbook.monitoring.sources.base import Reading
from opsbook.runbook.model import Threshold

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
BELOW_ONE = Threshold(op="<", value=1.0)


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def now(self) -> datetime:
        return self.at

    async def sleep(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class Scripted:
    """A metric source answering a fixed list of readings."""

    metric = "error rate"

    def __init__(self, values: list[float | None]) -> None:
        self.values = values

    async def read(self) -> Reading:
        value = self.values.pop(0)
        if value is None:
            return Reading(self.metric, error="Prometheus did not answer")
        return Reading(self.metric, {"value": value})


def _watch(values: list[float | None], hold: float = 60) -> tuple[Verdict, str, int]:
    clock = Clock()
    seen: list[Sample] = []
    judgement, samples = asyncio.run(
        watch(
            source=Scripted(values),
            condition=BELOW_ONE,
            hold=timedelta(seconds=hold),
            every=timedelta(seconds=15),
            now=clock.now,
            sleep=clock.sleep,
            report=seen.append,
        )
    )
    assert seen == samples
    return judgement.verdict, judgement.reason, len(samples)


def test_a_gate_holds_when_every_reading_meets_the_condition_for_the_duration() -> None:
    assert _watch([0.1, 0.2, 0.3, 0.1, 0.5]) == (
        Verdict.HELD,
        "< 1 held for 60s over 5 readings",
        5,
    )


def test_a_gate_breaks_at_the_first_reading_that_misses_and_names_its_value() -> None:
    verdict, reason, count = _watch([0.1, 2.5, 0.1, 0.1, 0.1])
    assert (verdict, count) == (Verdict.BROKEN, 2)
    assert reason == "value 2.5 at 12:00:15 is not < 1"


def test_a_source_that_does_not_answer_is_inconclusive_never_a_pass() -> None:
    verdict, reason, count = _watch([0.1, None, 0.1, 0.1, 0.1])
    assert (verdict, count) == (Verdict.INCONCLUSIVE, 2)
    assert "Prometheus did not answer" in reason


def test_judge_without_readings_is_still_watching() -> None:
    assert judge(BELOW_ONE, [], T0, timedelta(seconds=5)).verdict is Verdict.WATCHING
    assert _watch([0.5], hold=0) == (Verdict.HELD, "< 1 held for 0s over 1 readings", 1)
