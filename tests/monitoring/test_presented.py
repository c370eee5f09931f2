"""The API and `opsbook alerts ... --json` present the same read models the same way.

The use cases return frozen dataclasses; the API's schemas and the CLI's `json_data` turn them
into JSON. Both must keep the contract the API has always had: the same fields, times as
ISO 8601 text with their offset ("+00:00"), lists for sequences.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from opsbook.cli.app import app
from opsbook.monitoring import service
from opsbook.monitoring.alertmanager import AmPayload
from opsbook.runbook.model import Runbook
from opsbook.store.database import Database
from tests.monitoring.conftest import am_alert, am_payload, bearer

NOW = datetime(2026, 11, 27, 3, 30, tzinfo=UTC)


def cli(runbook_file: Path, *args: str) -> Any:
    """Run an alerts command in this process on the test's database; return its JSON."""
    home = runbook_file.parent / "state"
    env = {"OPSBOOK_HOME": str(home), "OPSBOOK_USER": "operator-user", "NO_COLOR": "1"}
    result = CliRunner().invoke(app, ["alerts", *args, "-r", str(runbook_file), "--json"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def alerts(db: Database, runbook: Runbook) -> list[int]:
    """Alertmanager alerts: DiskFull and Other firing, CertExpiry fired and resolved."""
    firing = [am_alert(1), am_alert(2, name="CertExpiry"), am_alert(3, name="Other")]
    resolved = [am_alert(2, "resolved", name="CertExpiry")]
    for payload in (am_payload(firing), am_payload(resolved)):
        valid = AmPayload.model_validate(payload)
        service.ingest_alertmanager(db=db, payload=valid, runbook=runbook, now=NOW)
    service.add_note(db=db, alert_id=1, text="looking", by="ana", now=NOW)
    return [1, 2, 3]


def test_an_alert_is_the_same_json_from_the_api_and_the_cli(
    client: Any, tokens: dict[str, str], runbook_file: Path, alerts: list[int]
) -> None:
    view = bearer(tokens["viewer"])
    for alert_id in alerts:
        api = client.get(f"/api/v1/alerts/{alert_id}", headers=view).json()
        assert cli(runbook_file, "show", str(alert_id)) == api
    listed = client.get("/api/v1/alerts", headers=view).json()
    assert cli(runbook_file, "list", "--state", "all") == listed
    resolved = next(a for a in listed if a["name"] == "CertExpiry")
    assert resolved["starts_at"] == "2026-11-27T03:00:00+00:00"
    assert resolved["ends_at"] == "2026-11-27T03:10:00+00:00"
    shown = client.get("/api/v1/alerts/1", headers=view).json()
    assert [(h["kind"], h["actor"], h["at"]) for h in shown["history"]] == [
        ("note", "ana", "2026-11-27T03:30:00+00:00")
    ]


def test_an_acknowledgement_and_a_silence_are_the_same_json_from_both(
    client: Any, tokens: dict[str, str], runbook_file: Path, alerts: list[int]
) -> None:
    op = bearer(tokens["operator"])
    by_api = client.post("/api/v1/alerts/1/ack", headers=op).json()
    by_cli = cli(runbook_file, "ack", "3")
    for acked in (by_api, by_cli):
        assert set(acked) == set(client.get("/api/v1/alerts", headers=op).json()[0])
        assert acked["state"] == "acknowledged" and acked["acknowledged_by"] == "operator-user"
        assert acked["acknowledged_at"].endswith("+00:00")

    made = client.post(
        "/api/v1/silences",
        headers=op,
        json={"matchers": ['alertname="DiskFull"'], "duration": "2h"},
    ).json()
    assert made["matchers"] == ['alertname="DiskFull"'] and made["silenced_alerts"] == [1]
    by_cli = cli(runbook_file, "silence", 'alertname="Other"', "--for", "2h")
    assert by_cli["matchers"] == ['alertname="Other"'] and by_cli["silenced_alerts"] == [3]
    for silence in (made, by_cli):
        assert set(silence) == set(client.get("/api/v1/silences", headers=op).json()[0])
        assert silence["starts_at"].endswith("+00:00") and silence["ends_at"].endswith("+00:00")
