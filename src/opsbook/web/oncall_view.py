"""The overview's on-call panel and the header's "on call now": from the live runbook."""

from __future__ import annotations

from opsbook.errors import DomainError
from opsbook.oncall import service
from opsbook.web.panels import Panel, PanelItem
from opsbook.web.state import AppState


def on_call_now(state: AppState) -> str:
    """Return who is on call now in each rotation's first layer ("" without rotations)."""
    runbook = state.source.runbook
    if "oncall" not in runbook.settings:
        return ""
    try:
        views = service.who_is_on_call(runbook=runbook, now=state.clock())
    except DomainError:
        return ""
    firsts: dict[str, str] = {}
    for view in views:
        firsts.setdefault(view.rotation, view.person)
    return ", ".join(f"{person} ({rotation})" for rotation, person in firsts.items())


def oncall_panel(state: AppState) -> Panel:
    """Return the on-call panel: each layer's person now, until when, and who is next."""
    runbook = state.source.runbook
    if "oncall" not in runbook.settings:
        return Panel(
            "oncall",
            "On call",
            (PanelItem("On-Call Contact", runbook.system.on_call or "—"),),
            "No rotation in the runbook: add an `oncall:` block to its front matter "
            "(docs/oncall.md).",
        )
    try:
        views = service.who_is_on_call(runbook=runbook, now=state.clock())
    except DomainError as exc:
        return Panel("oncall", "On call", (), f"The rotations cannot be read: {exc}")
    items = tuple(
        PanelItem(
            f"{v.rotation} · {v.layer}",
            f"{v.person} until {v.until:%a %d %b %H:%M} UTC"
            + (f", then {v.next_person}" if v.next_person else ""),
            "ok",
        )
        for v in views
    )
    return Panel("oncall", "On call", items, "" if items else "Nobody is on call now.")
