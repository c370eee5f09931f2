"""Overview panels: on call, alerts, incidents, metrics, maintenance, backups, deployed versions.

Each later domain registers a provider for its panel; until one does, the overview shows
a clearly labelled placeholder built from what the runbook declares.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from opsbook.runbook.model import Runbook
from opsbook.web.state import AppState


@dataclass(frozen=True)
class PanelItem:
    label: str
    value: str = ""
    tone: str = "muted"  # ok, warn, bad, muted
    href: str = ""


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    items: tuple[PanelItem, ...] = ()
    note: str = ""
    placeholder: bool = False


PanelProvider = Callable[[AppState], Panel]
ORDER = ("oncall", "alerts", "incidents", "metrics", "maintenance", "backup", "deployments")
_providers: dict[str, PanelProvider] = {}


def register_panel(key: str, provider: PanelProvider) -> None:
    """Make `provider` fill the overview panel `key` (one of ORDER)."""
    _providers[key] = provider


def panels(state: AppState) -> list[Panel]:
    """Return the overview panels in order: live where a provider exists, else placeholders."""
    runbook = state.source.runbook
    out = []
    for key in ORDER:
        provider = _providers.get(key)
        out.append(provider(state) if provider else _placeholder(key, runbook))
    return out


def _placeholder(key: str, runbook: Runbook) -> Panel:
    if key == "alerts":
        rules = tuple(
            PanelItem(
                r.metric,
                " / ".join(
                    f"{name} {t.op} {t.value:g}"
                    for name, t in (("warn", r.warning), ("crit", r.critical))
                    if t
                ),
            )
            for r in runbook.alert_rules
        )
        return Panel(
            key,
            "Alerts",
            rules,
            "Alert evaluation is not running yet; these are the runbook's thresholds.",
            placeholder=True,
        )
    if key == "incidents":
        levels = tuple(PanelItem(s.level, s.description) for s in runbook.severity_levels)
        return Panel(
            key,
            "Incidents",
            levels,
            "Incident tracking is not running yet; these are the runbook's severity levels.",
            placeholder=True,
        )
    if key == "metrics":
        items = tuple(PanelItem(m.name, m.source) for m in runbook.metrics)
        return Panel(
            key,
            "Key metrics",
            items,
            "Metric collection is not running yet; these are the metrics the runbook names.",
            placeholder=True,
        )
    if key == "maintenance":
        items = tuple(
            PanelItem(t.task, t.next_due or (t.frequency.text if t.frequency else ""))
            for t in runbook.maintenance_tasks
        )
        return Panel(
            key,
            "Maintenance due",
            items,
            "The maintenance scheduler is not running "
            "yet; next-due dates are as the runbook states them.",
            placeholder=True,
        )
    if key == "deployments":
        return Panel(key, "Deployed versions", (), "No deployment records yet.", placeholder=True)
    backup = next((p for p in runbook.procedures if "backup" in p.id), None)
    items = ()
    if backup is not None:
        items = (
            PanelItem(
                backup.name,
                backup.frequency.text if backup.frequency else "",
                href=f"/procedures/{backup.id}",
            ),
        )
    return Panel(
        key,
        "Last backup",
        items,
        "Backup records are not kept yet; run the backup procedure from its page.",
        placeholder=True,
    )
