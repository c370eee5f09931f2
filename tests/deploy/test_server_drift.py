"""`opsbook serve` checks the configuration files on its worker loop and raises the alert."""

from __future__ import annotations

import asyncio
from pathlib import Path

from opsbook.deploy import service
from opsbook.deploy.config_targets import config_targets
from opsbook.deploy.local_files import LocalFiles
from opsbook.deploy.masking import Masker
from opsbook.monitoring.service import list_alerts
from opsbook.store.database import Database
from opsbook.web.deploy_view import DRIFT_EVERY, drift_every
from opsbook.web.server import build_state

BOOK = """---
config:
  every: 2m
---
# Demo

## Configuration Management

### Configuration Files

| File | Location | Purpose | Backup |
|------|----------|---------|--------|
| app.env | `app.env` | Settings | kept |
"""


def test_the_servers_periodic_check_raises_a_drift_alert(tmp_path: Path, db: Database) -> None:
    (tmp_path / "app.env").write_text("A=1\n")
    book = tmp_path / "RUNBOOK.md"
    book.write_text(BOOK)
    state = build_state(book, db)
    assert state.worker is not None
    (drift,) = [p for p in state.worker.periodic if p.name == "config drift"]
    assert drift.every == 120
    runbook = state.source.runbook
    service.record_baseline(
        db=db,
        targets=config_targets(runbook),
        reader=LocalFiles(),
        masker=Masker([]),
        actor="ana",
        now=state.clock(),
    )
    asyncio.run(drift.action())
    assert list_alerts(db=db, state="open").items == ()
    (tmp_path / "app.env").write_text("A=2\n")
    asyncio.run(drift.action())
    (alert,) = list_alerts(db=db, state="open").items
    assert alert.name == "ConfigDrift" and alert.labels["file"] == "app.env"


def test_the_interval_comes_from_the_front_matter_or_the_default() -> None:
    assert drift_every({}) == DRIFT_EVERY
    assert drift_every({"config": {"every": "1s"}}) == 10.0
    assert drift_every({"config": {"every": "soon"}}) == DRIFT_EVERY
