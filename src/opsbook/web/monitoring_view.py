"""What the dashboard shows of monitoring: metric rows and the overview panels."""

from __future__ import annotations

from opsbook.monitoring.samples import metric_status
from opsbook.monitoring.service import list_alerts
from opsbook.monitoring.settings import SettingsError, monitoring_settings
from opsbook.monitoring.views import MetricStatusView
from opsbook.runbook.model import Runbook
from opsbook.web.panels import Panel, PanelItem, register_panel
from opsbook.web.state import AppState
from opsbook.web.templating import LEVEL_TONES

# A metric with no reading for this many collection intervals shows as stale.
STALE_INTERVALS = 3
TONE = {
    "firing": "bad",
    "pending": "warn",
    "acknowledged": "warn",
    "silenced": "muted",
    "resolved": "ok",
}


def stale_after(runbook: Runbook) -> float:
    """Return after how many seconds without a reading a metric counts as stale."""
    try:
        interval = monitoring_settings(runbook.settings).interval
    except SettingsError:
        interval = 30.0
    return interval * STALE_INTERVALS


def metric_rows(state: AppState) -> list[MetricStatusView]:
    """Return each Key Metric's latest reading with its thresholds."""
    runbook = state.source.runbook
    return metric_status(
        db=state.db, runbook=runbook, now=state.clock(), stale_after=stale_after(runbook)
    )


def alerts_panel(state: AppState) -> Panel:
    """Return the overview's alerts panel: open alerts, worst first."""
    rows = list(list_alerts(db=state.db, state="open", limit=50).items)
    rows.sort(key=lambda a: (a.state != "firing", a.severity != "critical"))
    items = tuple(
        PanelItem(
            a.name,
            f"{a.state} · {a.severity} · {a.summary}",
            "bad" if a.severity == "critical" else TONE.get(a.state, "muted"),
            f"/alerts/{a.id}",
        )
        for a in rows[:8]
    )
    note = f"{len(rows)} open" if rows else "No open alerts."
    return Panel("alerts", "Alerts", items, note + " · all alerts: /alerts")


def metrics_panel(state: AppState) -> Panel:
    """Return the overview's metrics panel: each metric's last value or why there is none."""
    items = []
    for row in metric_rows(state):
        if row.error:
            value, tone = f"error: {row.error}", "bad"
        elif row.value is None or row.stale:
            value, tone = "stale: no recent reading", "warn"
        else:
            value, tone = f"{row.value:g}", LEVEL_TONES.get(row.level, "muted")
            line = row.critical if row.level == "critical" else row.warning
            if row.level != "ok" and line:
                value += f" ({row.level}: {line})"
        items.append(PanelItem(row.name, value, tone, f"/monitoring#m-{row.metric}"))
    return Panel("metrics", "Key metrics", tuple(items), "Charts with thresholds: /monitoring")


def register_panels() -> None:
    """Fill the overview's alerts and metrics panels with live data."""
    register_panel("alerts", alerts_panel)
    register_panel("metrics", metrics_panel)
