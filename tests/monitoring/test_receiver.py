"""The Alertmanager receiver over HTTP: auth, validation, dedup, resolve, grouping, linking."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from opsbook.monitoring import samples, service
from opsbook.store.database import Database
from tests.monitoring.conftest import am_alert, am_payload, bearer

URL = "/api/v1/alertmanager"
UNCHANGED = {"dropped": 0, "adjusted": []}  # nothing had to be cut, replaced or unset


def stored(db: Database) -> int:
    return sum(service.count_alerts(db=db, origin="alertmanager").values())


def test_receiver_needs_an_ingest_token(client: Any, tokens: dict[str, str]) -> None:
    body = am_payload([am_alert(1)])
    assert client.post(URL, json=body).status_code == 401
    for role in ("viewer", "operator"):
        assert client.post(URL, json=body, headers=bearer(tokens[role])).status_code == 403
    assert client.post(URL, json=body, headers=bearer(tokens["ingest"])).status_code == 200


def test_ingest_token_reads_nothing(client: Any, tokens: dict[str, str]) -> None:
    assert client.get("/api/v1/alerts", headers=bearer(tokens["ingest"])).status_code == 403


def test_alerts_are_deduplicated_by_fingerprint_and_resolved(
    client: Any, tokens: dict[str, str], db: Database
) -> None:
    auth = bearer(tokens["ingest"])
    first = client.post(URL, json=am_payload([am_alert(1), am_alert(2)]), headers=auth).json()
    assert first == {"received": 2, "created": 2, "updated": 0, "resolved": 0, **UNCHANGED}
    again = client.post(URL, json=am_payload([am_alert(1), am_alert(2)]), headers=auth).json()
    assert again == {"received": 2, "created": 0, "updated": 2, "resolved": 0, **UNCHANGED}
    done = client.post(URL, json=am_payload([am_alert(1, "resolved")], "resolved"), headers=auth)
    assert done.json()["resolved"] == 1
    rows = {a.fingerprint: a for a in service.list_alerts(db=db).items}
    assert rows[f"{1:016x}"].state == "resolved" and rows[f"{1:016x}"].received == 3
    assert rows[f"{2:016x}"].state == "firing" and rows[f"{2:016x}"].received == 2
    assert rows[f"{1:016x}"].ends_at == datetime(2026, 11, 27, 3, 10, tzinfo=UTC)
    assert {a.group_key for a in rows.values()} == {'{}:{alertname="DiskFull"}'}


def test_alert_is_linked_to_the_troubleshooting_issue(
    client: Any, tokens: dict[str, str], db: Database
) -> None:
    auth = bearer(tokens["ingest"])
    by_metric = am_alert(1, name="Disk usage")
    by_url = am_alert(2, name="Whatever")
    by_url["annotations"]["runbook_url"] = "http://opsbook/troubleshooting/disk-filling-up"
    unrelated = am_alert(3, name="CertExpiry")
    client.post(URL, json=am_payload([by_metric, by_url, unrelated]), headers=auth)
    issues = {a.name: (a.metric, a.issue) for a in service.list_alerts(db=db).items}
    assert issues["Disk usage"] == ("disk-usage", "disk-filling-up")
    assert issues["Whatever"] == (None, "disk-filling-up")
    assert issues["CertExpiry"] == (None, None)
    page = client.get(
        f"/alerts/{service.list_alerts(db=db, text='Disk usage').items[0].id}",
        headers=bearer(tokens["viewer"]),
    )
    assert page.status_code == 200 and "/troubleshooting/disk-filling-up" in page.text


def _broken(change: str) -> dict[str, Any]:
    body = am_payload([am_alert(1), am_alert(2)])
    bad = copy.deepcopy(body)
    if change == "version":
        bad["version"] = "3"
    elif change == "status":
        bad["alerts"][1]["status"] = "burning"
    elif change == "labels":
        bad["alerts"][1]["labels"] = {}
    elif change == "startsAt":
        bad["alerts"][1]["startsAt"] = "yesterday"
    elif change == "alerts":
        del bad["alerts"]
    return bad


@pytest.mark.parametrize("change", ["version", "status", "labels", "startsAt", "alerts"])
def test_malformed_body_gets_422_naming_the_field_and_stores_nothing(
    client: Any, tokens: dict[str, str], db: Database, change: str
) -> None:
    response = client.post(URL, json=_broken(change), headers=bearer(tokens["ingest"]))
    assert response.status_code == 422
    assert any(change in ".".join(map(str, d["loc"])) for d in response.json()["detail"])
    assert stored(db) == 0


def test_body_that_is_not_json_gets_a_4xx_and_stores_nothing(
    client: Any, tokens: dict[str, str], db: Database
) -> None:
    headers = {**bearer(tokens["ingest"]), "Content-Type": "application/json"}
    response = client.post(URL, content=b"{not json", headers=headers)
    assert 400 <= response.status_code < 500
    assert stored(db) == 0


def test_operator_acknowledges_and_silences_over_the_api(
    client: Any, tokens: dict[str, str], db: Database
) -> None:
    client.post(
        URL,
        json=am_payload([am_alert(1), am_alert(2, name="Other")]),
        headers=bearer(tokens["ingest"]),
    )
    [disk] = service.list_alerts(db=db, text="DiskFull").items
    op = bearer(tokens["operator"])
    assert (
        client.post(f"/api/v1/alerts/{disk.id}/ack", headers=bearer(tokens["viewer"])).status_code
        == 403
    )
    acked = client.post(f"/api/v1/alerts/{disk.id}/ack", headers=op)
    assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "operator-user"
    twice = client.post(f"/api/v1/alerts/{disk.id}/ack", headers=op)
    assert twice.status_code == 409 and "already acknowledged" in twice.json()["detail"]
    silenced = client.post(
        "/api/v1/silences", headers=op, json={"matchers": ['alertname="Other"'], "duration": "2h"}
    )
    assert silenced.status_code == 201 and len(silenced.json()["silenced_alerts"]) == 1
    bad = client.post("/api/v1/silences", headers=op, json={"matchers": ["nope"], "duration": "2h"})
    assert bad.status_code == 422 and "NAME=VALUE" in bad.json()["detail"]
    listed = client.get("/api/v1/alerts?state=silenced", headers=bearer(tokens["viewer"])).json()
    assert [a["name"] for a in listed] == ["Other"]


def test_pages_show_alerts_metrics_and_the_overview_panels(
    client: Any, tokens: dict[str, str], db: Database
) -> None:
    from datetime import UTC, datetime

    from opsbook.monitoring.sources.base import Reading

    samples.record_readings(
        db=db,
        readings=[
            Reading("disk-usage", {"value": 42.0}),
            Reading("items-stored", error="exited with status 1"),
        ],
        now=datetime.now(UTC),
        retention=3600,
    )
    client.post(URL, json=am_payload([am_alert(1)]), headers=bearer(tokens["ingest"]))
    view = bearer(tokens["viewer"])
    overview = client.get("/", headers=view).text
    assert "DiskFull" in overview and "error: exited with status 1" in overview
    assert "not live yet" not in overview.split('data-panel="alerts"')[1].split("</section>")[0]
    charts = client.get("/monitoring", headers=view).text
    assert 'data-metric="disk-usage"' in charts and "uPlot.iife.min.js" in charts
    data = client.get("/api/v1/monitoring/metrics/disk-usage/series", headers=view).json()
    assert data["values"] == [42.0] and (data["warning"], data["critical"]) == (80.0, 90.0)
    assert client.get("/api/v1/monitoring/metrics/nope/series", headers=view).status_code == 404
    assert "DiskFull" in client.get("/alerts", headers=view).text


def test_alerts_are_listed_by_group_and_silenced_from_the_page_form(
    client: Any, tokens: dict[str, str], db: Database
) -> None:
    ingest = bearer(tokens["ingest"])
    client.post(URL, json=am_payload([am_alert(1), am_alert(2)], group="g-disk"), headers=ingest)
    client.post(
        URL, json=am_payload([am_alert(3, name="CertExpiry")], group="g-cert"), headers=ingest
    )
    view = bearer(tokens["viewer"])
    grouped = client.get("/api/v1/alerts", params={"group": "g-disk"}, headers=view).json()
    assert sorted(a["fingerprint"] for a in grouped) == [f"{1:016x}", f"{2:016x}"]
    form = {"matchers": 'alertname="CertExpiry"\n', "duration": "30m", "comment": "renewing"}
    assert client.post("/alerts/silence", data=form, headers=view).status_code == 403
    done = client.post(
        "/alerts/silence", data=form, headers=bearer(tokens["operator"]), follow_redirects=False
    )
    assert done.status_code == 303
    [silence] = client.get("/api/v1/silences", headers=view).json()
    assert silence["matchers"] == ['alertname="CertExpiry"'] and silence["comment"] == "renewing"
    assert [a.name for a in service.list_alerts(db=db, state="silenced").items] == ["CertExpiry"]
    page = client.get("/alerts", headers=bearer(tokens["operator"])).text
    assert "renewing" in page and 'action="/alerts/silence"' in page
    assert "<title>Alerts · opsbook</title>" in page
    assert page.count('action="/alerts/silence"') == 1
    bad = client.post(
        "/alerts/silence", data={**form, "duration": "soonish"}, headers=bearer(tokens["operator"])
    )
    assert bad.status_code == 422
