"""Hang deploy on the server: the periodic configuration drift check (it raises the
ConfigDrift alerts) and the overview's "Deployed versions" panel."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from opsbook.deploy import service
from opsbook.deploy.config_targets import config_targets
from opsbook.deploy.decisions import list_decisions
from opsbook.deploy.file_readers import reader_for
from opsbook.deploy.masking import masker_for
from opsbook.errors import DomainError
from opsbook.runbook.durations import parse_duration
from opsbook.web.panels import Panel, PanelItem
from opsbook.web.state import AppState
from opsbook.worker.loop import Periodic

log = logging.getLogger("opsbook.deploy")
# How often the server checks the configuration files (front matter `config: {every: 5m}`).
DRIFT_EVERY = 300.0
TONE = {"succeeded": "ok", "rolled-back": "warn", "failed": "bad"}


def drift_every(settings: Mapping[str, object]) -> float:
    """Return the drift check's interval in seconds, from the front matter or the default."""
    config = settings.get("config")
    if isinstance(config, Mapping) and config.get("every"):
        try:
            return max(parse_duration(str(config["every"])), 10.0)
        except ValueError:
            log.warning("config.every %r is not a duration; using 5m", config["every"])
    return DRIFT_EVERY


def deploy_tasks(state: AppState) -> list[Periodic]:
    """Return the periodic drift check of the served runbook's configuration files."""

    def check() -> None:
        runbook = state.source.runbook
        targets = config_targets(runbook)
        if targets:
            service.check_drift(
                db=state.db,
                runbook=runbook,
                targets=targets,
                reader=reader_for(runbook),
                masker=masker_for(runbook, state.environ),
                now=state.clock(),
            )

    async def drift() -> None:
        try:
            await asyncio.to_thread(check)
        except DomainError as exc:  # an unreadable file or host: said, the rest goes on
            log.warning("config drift: %s", exc)

    return [Periodic("config drift", drift_every(state.source.runbook.settings), drift)]


def deployments_panel(state: AppState) -> Panel:
    """Return the overview's panel: current and previous version per target, open gates."""
    items = [
        PanelItem(
            f"Gate waiting: run {d.run_id}" if d.run_id else "Gate waiting",
            f"{d.gate}: answer on the run's page, or opsbook gate decide {d.id} --let-pass",
            tone="bad",
            href=f"/runs/{d.run_id}" if d.run_id else "",
        )
        for d in list_decisions(db=state.db, open_only=True, limit=5)
    ]
    for view in service.deployed_versions(db=state.db):
        value = f"{view.current or 'none'} (before: {view.previous or 'none'})"
        if view.last_run != view.current_run:
            value += f"; {view.last_version} {view.last_status}"
        items.append(
            PanelItem(
                view.target,
                value,
                tone=TONE.get(view.last_status, "muted"),
                href=f"/runs/{view.last_run}",
            )
        )
    note = "" if items else "No deployment yet: a run of a procedure with a VERSION parameter."
    return Panel("deployments", "Deployed versions", tuple(items), note)
