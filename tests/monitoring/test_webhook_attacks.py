"""Hostile webhooks through the real route, on SQLite and PostgreSQL: insane times, oversized
values, too many alerts, NUL and lone surrogates. Every one is stored in a form that reads
back, the good alerts beside it are stored too, and the response says what was changed;
then the overview, the alerts page, the alert's page and the API still answer 200.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from opsbook.monitoring import service
from opsbook.monitoring.webhook_limits import (
    CUT_MARK,
    MAX_ALERTS,
    MAX_ANNOTATION_VALUE,
    MAX_FINGERPRINT,
    MAX_LABEL_VALUE,
    MAX_LABELS,
    MAX_NAME,
    MAX_RECEIVER,
    MAX_TEXT,
)
from tests.monitoring.conftest import URL, Served, am_alert, am_payload

INSANE = [
    "0001-01-01T00:00:00+05:00",  # year 1 with an offset: no UTC form at all
    "0001-01-01T00:00:00-05:00",
    "9999-12-31T23:59:59-05:00",  # past year 9999 in UTC
    "9999-12-31T23:59:59+14:00",
    "0999-06-01T12:00:00Z",
    "9500-01-01T00:00:00Z",
    "1969-12-31T23:59:59Z",
    "1970-01-01T00:30:00+01:00",  # 1969 in UTC: the bounds hold after the offset
]


@pytest.mark.parametrize("starts", ["0001-01-01T00:00:00Z", *INSANE])
def test_a_start_that_is_zero_or_insane_is_stored_as_the_time_received(
    served: Served, starts: str
) -> None:
    odd = am_alert(1)
    odd["startsAt"] = starts
    before = datetime.now(UTC)
    answer = served.post(am_payload([odd, am_alert(2)]))
    after = datetime.now(UTC)
    assert answer["created"] == 2
    assert [line.split(":")[0] for line in answer["adjusted"]] == ["alerts[0].startsAt"]
    assert "taken as not set" in answer["adjusted"][0]
    rows = served.alerts()
    stored = datetime.fromisoformat(rows[f"{1:016x}"]["starts_at"])
    assert before.replace(microsecond=0) <= stored <= after
    assert rows[f"{2:016x}"]["starts_at"].startswith("2026-11-27T03:00:00")
    # Alertmanager repeats the alert: it is the same alert, not a second one.
    again = served.post(am_payload([odd]))
    assert (again["created"], again["updated"]) == (0, 1)


@pytest.mark.parametrize("ends", ["0001-01-01T00:00:00Z", *INSANE])
def test_a_resolution_whose_end_is_zero_or_insane_ends_when_received(
    served: Served, ends: str
) -> None:
    served.post(am_payload([am_alert(1)]))
    resolved = am_alert(1, "resolved")
    resolved["endsAt"] = ends
    before = datetime.now(UTC)
    answer = served.post(am_payload([resolved], "resolved"))
    assert answer["resolved"] == 1
    row = served.alerts()[f"{1:016x}"]
    assert row["state"] == "resolved"
    assert datetime.fromisoformat(row["ends_at"]) >= before.replace(microsecond=0)
    if ends.startswith("0001-01-01T00:00:00Z"):
        assert answer["adjusted"] == []  # the zero end means "not set": nothing to report
    else:
        assert answer["adjusted"][0].startswith("alerts[0].endsAt:")


def test_a_firing_alert_with_a_zero_end_is_open_with_no_end(served: Served) -> None:
    answer = served.post(am_payload([am_alert(1)]))
    assert answer["adjusted"] == [] and answer["dropped"] == 0
    row = served.alerts()[f"{1:016x}"]
    assert row["state"] == "firing" and row["ends_at"] is None


def test_oversized_values_are_cut_with_a_mark_and_the_other_alerts_are_stored(
    served: Served,
) -> None:
    big = am_alert(1)
    big["labels"]["instance"] = "i" * 50_000
    big["labels"]["n" * 1_000] = "long name"
    big["labels"].update({f"extra{i}": str(i) for i in range(2 * MAX_LABELS)})
    big["labels"]["severity"] = "critical"  # last sent, but kept: it ranks the alert
    big["annotations"]["description"] = "d" * 100_000
    big["generatorURL"] = "http://prometheus/graph?g0.expr=" + "x" * 10_000
    big["fingerprint"] = "f" * 5_000
    body = am_payload([big, am_alert(2)], group="g" * 10_000)
    body["receiver"] = "r" * 1_000
    answer = served.post(body)
    assert (answer["received"], answer["created"], answer["dropped"]) == (2, 2, 0)
    changed = "\n".join(answer["adjusted"])
    for where in ("groupKey", "receiver", "alerts[0].labels", "alerts[0].generatorURL"):
        assert where in changed
    assert "alerts[0].fingerprint" in changed or "more change" in changed
    rows = served.alerts()
    [cut] = [r for fp, r in rows.items() if fp != f"{2:016x}"]
    assert len(cut["fingerprint"]) <= MAX_FINGERPRINT
    labels = cut["labels"]
    assert len(labels) == MAX_LABELS
    assert labels["alertname"] == "DiskFull" and labels["severity"] == "critical"
    assert cut["severity"] == "critical"
    assert len(labels["instance"]) == MAX_LABEL_VALUE and labels["instance"].endswith(CUT_MARK)
    assert all(len(name) <= MAX_NAME for name in labels)
    description = cut["annotations"]["description"]
    assert len(description) == MAX_ANNOTATION_VALUE and description.endswith(CUT_MARK)
    assert len(cut["generator_url"]) == MAX_TEXT and len(cut["group_key"]) == MAX_TEXT
    history = service.show_alert(db=served.db, alert_id=cut["id"])
    assert rows[f"{2:016x}"]["labels"] == am_alert(2)["labels"]
    assert history.group_key is not None and history.group_key.endswith(CUT_MARK)
    # Repeated, the cut alert is recognised as the same alert.
    assert served.post(body)["updated"] == 2
    assert MAX_RECEIVER < 200  # the history line names the receiver in a 200-character column


def test_alerts_beyond_the_request_maximum_are_dropped_and_counted(served: Served) -> None:
    # Small alerts: about 1 MB in all, within the server's limit on a request body.
    alerts = [
        {"status": "firing", "labels": {"i": str(i)}, "startsAt": "2026-11-27T03:00:00Z"}
        for i in range(MAX_ALERTS + 5)
    ]
    answer = served.post(am_payload(alerts))
    assert answer["received"] == MAX_ALERTS + 5
    assert (answer["created"], answer["dropped"]) == (MAX_ALERTS, 5)
    assert sum(service.count_alerts(db=served.db).values()) == MAX_ALERTS


def test_nul_and_lone_surrogates_are_replaced_and_the_alert_is_stored(served: Served) -> None:
    odd = am_alert(1, name="Disk\u0000Full")
    odd["labels"]["host\u0000name"] = "web\u00001"
    odd["annotations"]["summary"] = "bad \ud800 half"
    odd["generatorURL"] = "http://prom/\udfff"
    odd["fingerprint"] = "ab\u0000cd"
    body = am_payload([odd, am_alert(2)], group="g\u0000\ud83d")
    body["commonLabels"] = {"x": "\ud800"}
    body["receiver"] = "am\u0000"
    # ensure_ascii writes lone surrogates as \\udXXX escapes, as a hostile sender would.
    raw = json.dumps(body).encode()
    assert b"\\ud800" in raw and b"\\u0000" in raw
    answer = served.post(raw)
    assert answer["created"] == 2
    assert any("U+FFFD" in line for line in answer["adjusted"])
    rows = served.alerts()
    [odd_row] = [r for fp, r in rows.items() if fp != f"{2:016x}"]
    assert odd_row["name"] == "Disk\ufffdFull"
    assert odd_row["labels"]["host\ufffdname"] == "web\ufffd1"
    assert odd_row["summary"] == "bad \ufffd half"
    assert odd_row["generator_url"] == "http://prom/\ufffd"
    assert odd_row["fingerprint"] == "ab\ufffdcd"
    assert odd_row["group_key"] == "g\ufffd\ufffd"
    detail = service.show_alert(db=served.db, alert_id=odd_row["id"])
    assert all("\0" not in line.actor for line in detail.history)


def test_a_body_that_is_not_json_is_still_refused_whole(served: Served) -> None:
    headers = {**served.ingest, "Content-Type": "application/json"}
    nested = b'{"version": "4", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    for body in (b'{"version": "4", "alerts": [\\u0000', b"\xff\xfe not json", nested):
        response = served.client.post(URL, content=body, headers=headers)
        assert response.status_code == 422, response.text
    assert sum(service.count_alerts(db=served.db).values()) == 0


def test_an_alert_with_a_flood_of_labels_is_fitted_in_linear_time() -> None:
    import time

    from opsbook.monitoring.webhook_limits import Notes, fit_notification

    labels = {f"label{i}": "v" for i in range(200_000)}
    data = am_payload([{**am_alert(1), "labels": labels}])
    started = time.perf_counter()
    fitted = fit_notification(data, Notes())
    assert time.perf_counter() - started < 5  # a quadratic ranking took minutes
    assert len(fitted["alerts"][0]["labels"]) == MAX_LABELS


@pytest.mark.fuzz
def test_fuzzed_webhooks_are_answered_2xx_and_every_page_still_reads(served: Served) -> None:
    """Any body the published schema allows (text with NUL, lone surrogates, any length, any
    RFC 3339 time) is stored, answered as documented, and reads back everywhere."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    schema = schemathesis.openapi.from_asgi("/openapi.json", served.app)
    [webhook] = [result.ok() for result in schema.get_all_operations() if result.ok().path == URL]

    @given(case=webhook.as_strategy())
    @settings(
        max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def post(case: Any) -> None:
        case.call_and_validate(headers=served.ingest)

    post()
    assert served.alerts()
