"""The `monitoring:` front matter: collection interval, retention, maintenance windows.

```yaml
monitoring:
  interval: 30s            # default 30 s
  retention: 7 days        # samples older than this are deleted; default 7 days
  maintenance_windows: ["Sundays 02:00-04:00"]
  prom_rules: opsbook      # or prometheus: Prometheus evaluates the thresholds on `prom:`
                           # metrics (the exported rules) and opsbook charts them only
```
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opsbook.monitoring.windows import MaintenanceWindow, WindowError, parse_window
from opsbook.runbook.durations import parse_duration
from opsbook.runbook.problems import ValueProblem

DEFAULT_INTERVAL = 30.0
DEFAULT_RETENTION = 7 * 86400.0
MIN_INTERVAL = 1.0
# Who evaluates the thresholds on `prom:` metrics.
PROM_RULES = ("opsbook", "prometheus")


class SettingsError(ValueError):
    """A `monitoring:` setting that cannot be used; the message names the field."""


@dataclass(frozen=True)
class MonitoringSettings:
    interval: float = DEFAULT_INTERVAL
    retention: float = DEFAULT_RETENTION
    windows: tuple[MaintenanceWindow, ...] = ()
    # Source kinds whose thresholds opsbook leaves to another evaluator.
    skip_kinds: frozenset[str] = frozenset()


def monitoring_settings(settings: dict[str, Any]) -> MonitoringSettings:
    """Read the `monitoring:` front matter; raise SettingsError naming the bad field."""
    raw = settings.get("monitoring") or {}
    if not isinstance(raw, dict):
        raise SettingsError(
            "front matter `monitoring` must be a mapping (interval, retention, maintenance_windows)"
        )
    interval = _seconds(raw.get("interval"), "monitoring.interval", DEFAULT_INTERVAL)
    if interval < MIN_INTERVAL:
        raise SettingsError(f"monitoring.interval must be at least {MIN_INTERVAL:g}s")
    retention = _seconds(raw.get("retention"), "monitoring.retention", DEFAULT_RETENTION)
    listed = raw.get("maintenance_windows") or raw.get("maintenance") or []
    if isinstance(listed, str):
        listed = [listed]
    try:
        windows = tuple(parse_window(str(text)) for text in listed)
    except WindowError as exc:
        raise SettingsError(f"monitoring.maintenance_windows: {exc}") from None
    prom_rules = raw.get("prom_rules", "opsbook")
    if prom_rules not in PROM_RULES:
        raise SettingsError(
            f'monitoring.prom_rules "{str(prom_rules)[:40]}" is not one of opsbook, prometheus'
        )
    skip = frozenset({"prom"}) if prom_rules == "prometheus" else frozenset()
    return MonitoringSettings(interval, retention, windows, skip)


def _seconds(value: Any, field: str, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)

    try:
        return parse_duration(str(value))
    except (ValueProblem, ValueError):
        raise SettingsError(
            f'{field} "{value}" is not a duration; write it like 30s or 5 minutes'
        ) from None
