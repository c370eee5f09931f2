"""Watch a metric gate: read the source every interval until the gate holds or breaks.

The clock and the sleep are passed in; each reading is reported as it comes (the run's
record keeps them: the evidence of the gate's result).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from opsbook.deploy.gates import Judgement, Sample, Verdict, judge
from opsbook.monitoring.sources.base import MetricSource
from opsbook.runbook.model import Threshold


async def watch(
    *,
    source: MetricSource,
    condition: Threshold,
    hold: timedelta,
    every: timedelta,
    now: Callable[[], datetime],
    sleep: Callable[[float], Awaitable[None]],
    report: Callable[[Sample], None],
) -> tuple[Judgement, list[Sample]]:
    """Read until the gate's verdict is known; return it and every reading."""
    started = now()
    samples: list[Sample] = []
    while True:
        reading = await source.read()
        sample = Sample(now(), reading.value, reading.error)
        samples.append(sample)
        report(sample)
        verdict = judge(condition, samples, started, hold)
        if verdict.verdict is not Verdict.WATCHING:
            return verdict, samples
        left = (started + hold - now()).total_seconds()
        await sleep(max(0.0, min(every.total_seconds(), left)))
