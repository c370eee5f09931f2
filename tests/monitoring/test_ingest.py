"""Group commit of webhook notifications, on SQLite and PostgreSQL.

Notifications stored together in one transaction must leave the same alerts, counts and
history as the same notifications stored one at a time: repeats, resolutions and
silences of alerts that are new in the same group included.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from opsbook.monitoring import service
from opsbook.monitoring.alertmanager import AmPayload
from opsbook.runbook.model import Runbook
from opsbook.store.database import Database
from tests.monitoring.conftest import am_alert, am_payload

NOW = datetime(2026, 11, 27, 3, 30, tzinfo=UTC)


def alert(i: int, starts: str, status: str = "firing", **changes: Any) -> dict[str, Any]:
    made = am_alert(i, status, name=changes.pop("name", "DiskFull"))
    made["startsAt"] = starts
    made["annotations"].update(changes)
    return made


def script(starts: str) -> list[AmPayload]:
    """Notifications that repeat, resolve and re-resolve alerts, new and stored ones alike."""
    bodies = [
        [alert(1, starts), alert(2, starts), alert(3, starts), alert(7, starts, name="Muted")],
        [alert(1, starts), alert(2, starts, summary="changed"), alert(4, starts)],
        [alert(1, starts, "resolved"), alert(5, starts, "resolved"), alert(6, starts)],
        [alert(1, starts, "resolved"), alert(3, starts, summary="again"), alert(5, starts)],
        [alert(7, starts, "resolved"), alert(6, starts), alert(6, starts, summary="last wins")],
        [alert(8, starts, "resolved", name="Disk usage"), alert(2, starts, "resolved")],
    ]
    return [AmPayload.model_validate(am_payload(b)) for b in bodies]


def stored(db: Database, starts: str) -> dict[str, dict[str, Any]]:
    """Return the alerts of one script by fingerprint, with their history, ids left out."""
    found: dict[str, dict[str, Any]] = {}
    for row in service.list_alerts(db=db, limit=1000).items:
        if row.starts_at is None or not row.starts_at.isoformat().startswith(starts[:19]):
            continue
        data = asdict(service.show_alert(db=db, alert_id=row.id))
        data["history"] = [(e["kind"], e["actor"], e["detail"]) for e in data["history"]]
        for volatile in ("id", "starts_at"):
            data.pop(volatile)
        found[data["fingerprint"]] = data
    return found


def test_a_group_leaves_what_one_at_a_time_leaves(database: Database, runbook: Runbook) -> None:
    service.add_silence(
        db=database, matchers=['alertname="Muted"'], duration=3600, by="t", comment="", now=NOW
    )
    alone, grouped = "2026-11-27T01:00:00Z", "2026-11-27T02:00:00Z"
    first, *rest = script(grouped)
    one_by_one = [
        service.ingest_alertmanager(db=database, payload=p, runbook=runbook, now=NOW)
        for p in script(alone)
    ]
    # The group meets one alert stored before it and others that are new within it.
    together = [service.ingest_alertmanager(db=database, payload=first, runbook=runbook, now=NOW)]
    together += service.ingest_many(db=database, payloads=rest, runbook=runbook, now=NOW)

    assert together == one_by_one
    assert stored(database, grouped) == stored(database, alone)
    everything = service.ingest_many(
        db=database, payloads=script(alone) + script(grouped), runbook=runbook, now=NOW
    )
    assert sum(r.created for r in everything) == 0
    assert stored(database, grouped) == stored(database, alone)


def test_counts_and_states_of_a_group(database: Database, runbook: Runbook) -> None:
    service.add_silence(
        db=database, matchers=['alertname="Muted"'], duration=3600, by="t", comment="", now=NOW
    )
    starts = "2026-11-27T02:00:00Z"
    results = service.ingest_many(db=database, payloads=script(starts), runbook=runbook, now=NOW)
    assert [(r.received, r.created, r.updated, r.resolved) for r in results] == [
        (4, 4, 0, 0),
        (3, 1, 2, 0),
        (3, 2, 1, 1),
        (3, 0, 3, 0),
        (3, 0, 2, 1),
        (2, 1, 1, 1),
    ]
    rows = stored(database, starts)
    one, two, three = rows[f"{1:016x}"], rows[f"{2:016x}"], rows[f"{3:016x}"]
    assert one["state"] == "resolved" and one["received"] == 4
    assert [kind for kind, _, _ in one["history"]] == ["resolved"]
    assert two["state"] == "resolved" and two["received"] == 3
    assert three["received"] == 2 and three["annotations"]["summary"] == "again"
    assert rows[f"{5:016x}"]["state"] == "resolved" and rows[f"{5:016x}"]["history"] == []
    assert rows[f"{6:016x}"]["received"] == 2
    assert rows[f"{6:016x}"]["annotations"]["summary"] == "last wins"
    muted = rows[f"{7:016x}"]
    assert muted["state"] == "resolved" and muted["silence_id"] is not None
    linked = rows[f"{8:016x}"]
    assert (linked["metric"], linked["issue"]) == ("disk-usage", "disk-filling-up")
