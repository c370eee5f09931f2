"""Key Metrics items read as people write them: a bold name, a description, then the source."""

from __future__ import annotations

import pytest

from opsbook.runbook.parser import parse_runbook
from opsbook.runbook.problems import RunbookError

METRICS = """## Monitoring

**Key Metrics to Monitor**:
- **CPU usage**: share of CPU time in use — `host:cpu_percent`
- **Queue depth** — jobs waiting — `prom:max(queue_depth)` {timeout=5s}
- **Disk**: `host:disk_percent:/var` — the data disk
- Memory: `host:memory_percent` — resident memory
"""


def test_a_bold_name_before_its_description_names_the_metric() -> None:
    runbook = parse_runbook(METRICS, "m.md")
    by_name = {m.name: m for m in runbook.metrics}
    assert list(by_name) == ["CPU usage", "Queue depth", "Disk", "Memory"]
    cpu = by_name["CPU usage"]
    assert (cpu.id, cpu.source) == ("cpu-usage", "host:cpu_percent")
    assert cpu.description == "share of CPU time in use"
    queue = by_name["Queue depth"]
    assert queue.description == "jobs waiting" and queue.attrs.timeout == 5.0
    assert by_name["Disk"].description == "the data disk"
    assert by_name["Memory"].description == "resident memory"


def test_a_threshold_on_a_bold_named_metric_is_defined() -> None:
    text = METRICS + (
        "\n**Alert Thresholds**:\n\n| Metric | Warning | Critical | Action |\n|---|---|---|---|\n"
        "| CPU usage | > 80 | > 95 | |\n"
    )
    [rule] = parse_runbook(text, "m.md").alert_rules
    assert rule.metric == "CPU usage"


def test_the_undefined_metric_hint_names_the_metrics_known() -> None:
    text = METRICS + (
        "\n**Alert Thresholds**:\n\n| Metric | Warning | Critical | Action |\n|---|---|---|---|\n"
        "| Load | > 4 | > 8 | |\n"
    )
    with pytest.raises(RunbookError) as caught:
        parse_runbook(text, "m.md")
    [problem] = caught.value.problems
    assert '"Load"' in problem.message
    assert "(defined: CPU usage, Queue depth, Disk, Memory)" in problem.hint
