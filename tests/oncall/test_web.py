"""On-call over HTTP: who is on call, the schedule, and calendar feeds a calendar program
subscribes to (read back with a real iCalendar library), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from opsbook.access import service as access
from opsbook.access.roles import Role
from opsbook.oncall.tables import FeedTokenRow
from opsbook.store.database import Database
from opsbook.web.app import create_app
from opsbook.web.runbook_source import RunbookSource
from opsbook.web.state import AppState

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 03:00 on a Sunday in Berlin


@pytest.fixture
def app(book_path: Path, database: Database) -> Iterator[tuple[TestClient, dict[str, str]]]:
    state = AppState(db=database, source=RunbookSource.load(book_path, NOW))
    state.run_worker = False
    state.clock = lambda: NOW
    _, token = access.create_token(database, name="op", role=Role.OPERATOR, created_by="t", now=NOW)
    with TestClient(create_app(state), base_url="http://127.0.0.1") as client:
        yield client, {"Authorization": f"Bearer {token}"}


def _events(text: str) -> list[tuple[datetime, datetime, str]]:
    calendar = icalendar.Calendar.from_ical(text)
    return [
        (e.decoded("DTSTART"), e.decoded("DTEND"), str(e.get("SUMMARY")))
        for e in calendar.walk("VEVENT")
    ]


def test_the_feed_parses_and_holds_the_same_shifts_as_the_schedule(
    app: tuple[TestClient, dict[str, str]], database: Database
) -> None:
    client, auth = app
    made = client.post("/api/v1/oncall/feeds", json={"rotation": "ops"}, headers=auth)
    assert made.status_code == 201, made.text
    assert made.headers["cache-control"] == "no-store"
    url = made.json()["url"]
    assert url.startswith("http://127.0.0.1/oncall/feeds/ops.ics?token=")
    feed = client.get(url.removeprefix("http://127.0.0.1"))  # no session, no header: a calendar
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    assert all(line.endswith("\r") for line in feed.text.split("\n")[:-1])
    events = _events(feed.text)
    start = NOW - timedelta(days=14)
    schedule = client.get(
        "/api/v1/oncall/schedule",
        params={
            "rotation": "ops",
            "from": start.isoformat(),
            "to": (start + timedelta(days=134)).isoformat(),
        },
        headers=auth,
    ).json()
    assert len(events) == len(schedule) > 30
    for (begin, end, summary), shift in zip(events, schedule, strict=True):
        assert begin == datetime.fromisoformat(shift["start"])
        assert end == datetime.fromisoformat(shift["end"])
        assert summary == f"On call: {shift['person']} (ops {shift['layer']})"
    # Only the hash is kept.
    with database.transaction() as session:
        stored = session.scalars(select(FeedTokenRow)).one()
    token = made.json()["token"]
    assert stored.token_hash != token and token not in stored.token_hash


def test_a_persons_feed_holds_only_their_shifts_and_its_token_opens_nothing_else(
    app: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = app
    made = client.post(
        "/api/v1/oncall/feeds", json={"rotation": "ops", "person": "Cy Park"}, headers=auth
    ).json()
    events = _events(client.get(made["url"].removeprefix("http://127.0.0.1")).text)
    assert events and all("Cy Park" in summary for _, _, summary in events)
    token = made["token"]
    # The same token on the rotation's whole feed, another person's, or no token: 404.
    for path in (
        f"/oncall/feeds/ops.ics?token={token}",
        f"/oncall/feeds/ops.ics?token={token}&person=Ana%20Ruiz",
        "/oncall/feeds/ops.ics",
        "/oncall/feeds/ops.ics?token=opsb_guess",
    ):
        assert client.get(path).status_code == 404, path
    revoked = client.delete(f"/api/v1/oncall/feeds/{made['id']}", headers=auth)
    assert revoked.status_code == 204
    assert client.get(made["url"].removeprefix("http://127.0.0.1")).status_code == 404
    assert client.delete(f"/api/v1/oncall/feeds/{made['id']}", headers=auth).status_code == 404
    refused = client.post(
        "/api/v1/oncall/feeds", json={"rotation": "ops", "person": "Nobody"}, headers=auth
    )
    assert refused.status_code == 422


def test_now_and_the_overview_say_who_is_on_call(app: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = app
    now = client.get("/api/v1/oncall/now", headers=auth).json()
    assert [(v["layer"], v["person"]) for v in now] == [
        ("primary", "Ben Ode"),
        ("secondary", "Ana Ruiz"),
    ]
    assert client.get("/api/v1/oncall/now").status_code == 401
    overview = client.get("/", headers=auth).text
    assert "On call: <strong>Ben Ode (ops)</strong>" in overview
    panel = overview.split('data-panel="oncall"')[1].split("</section>")[0]
    assert "ops · primary" in panel and "Ben Ode until Mon 02 Mar 08:00 UTC, then Cy Park" in panel


def test_times_out_of_range_or_without_offset_are_refused_not_a_crash(
    app: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = app
    for params in (
        {"at": "9999-12-31T23:59:59+00:00"},
        {"at": "0001-01-01T00:00:00+00:00"},
        {"at": "2026-03-01T03:00:00"},
    ):
        assert client.get("/api/v1/oncall/now", params=params, headers=auth).status_code == 422
    for params in (
        {"from": "9999-12-31T23:00:00Z"},
        {"from": "2026-03-01T00:00:00Z", "to": "2027-06-01T00:00:00Z"},
        {"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"},
    ):
        answer = client.get("/api/v1/oncall/schedule", params=params, headers=auth)
        assert answer.status_code == 422, params
