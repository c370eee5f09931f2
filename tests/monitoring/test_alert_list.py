"""The alert list pages by cursor with a total and searches by substring, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from opsbook.errors import BadInput
from opsbook.monitoring import service
from opsbook.monitoring.alertmanager import AmPayload
from opsbook.runbook.model import Runbook
from opsbook.store.database import Database
from tests.monitoring.conftest import am_payload, bearer

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def firing(number: int, summary: str = "", name: str = "DiskFull") -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {"alertname": name, "instance": f"web{number:03d}"},
        "annotations": {"summary": summary or f"{name} on web{number:03d}"},
        "startsAt": "2026-11-27T09:00:00Z",
        "fingerprint": f"{number:016x}",
    }


def store(db: Database, runbook: Runbook, alerts: list[dict[str, Any]], later: int = 0) -> None:
    """Ingest the alerts one notification each, a second apart (newest last), `later` s on."""
    for n, alert in enumerate(alerts):
        payload = AmPayload.model_validate(am_payload([alert]))
        at = NOW + timedelta(seconds=later + n)
        service.ingest_alertmanager(db=db, payload=payload, runbook=runbook, now=at)


@pytest.mark.parametrize("search", [None, "DiskFull"])
def test_walking_the_cursor_shows_every_alert_once_newest_first(
    database: Database, runbook: Runbook, search: str | None
) -> None:
    store(database, runbook, [firing(n) for n in range(25)])
    seen: list[int] = []
    cursor = None
    for _ in range(3):
        page = service.list_alerts(db=database, text=search, limit=10, cursor=cursor)
        assert page.total == 25
        seen += [a.id for a in page.items]
        cursor = page.next_cursor
    assert cursor is None  # the third page was the last
    assert len(seen) == 25 and len(set(seen)) == 25
    assert seen == sorted(seen, reverse=True)  # stored a second apart: newest is highest


def test_alerts_stored_while_paging_do_not_shift_the_next_page(
    database: Database, runbook: Runbook
) -> None:
    store(database, runbook, [firing(n) for n in range(6)])
    first = service.list_alerts(db=database, limit=3)
    store(database, runbook, [firing(100 + n) for n in range(4)], later=60)
    second = service.list_alerts(db=database, limit=3, cursor=first.next_cursor)
    assert {a.id for a in first.items}.isdisjoint(a.id for a in second.items)
    assert max(a.id for a in second.items) < min(a.id for a in first.items)
    assert second.total == 10


def test_search_finds_a_substring_in_any_case_and_counts_only_matches(
    database: Database, runbook: Runbook
) -> None:
    store(
        database,
        runbook,
        [firing(1, "Disk of web001 is 97% full"), firing(2, "all fine on db7"), firing(3)],
    )
    found = service.list_alerts(db=database, text="WEB001")
    assert [a.summary for a in found.items] == ["Disk of web001 is 97% full"]
    assert found.total == 1
    with pytest.raises(BadInput, match="at least 3 characters"):
        service.list_alerts(db=database, text="db")
    assert service.list_alerts(db=database, text="diskfull").total == 3  # the name
    assert service.list_alerts(db=database, text="nothing like it").items == ()


def test_search_treats_wildcards_and_quotes_as_plain_text(
    database: Database, runbook: Runbook
) -> None:
    store(database, runbook, [firing(1, 'load "high" at 100%'), firing(2, "load 1000 low")])
    assert service.list_alerts(db=database, text="00%").total == 1
    assert service.list_alerts(db=database, text="0_0").total == 0
    assert service.list_alerts(db=database, text='"high"').total == 1
    assert service.list_alerts(db=database, text='"high" OR low').total == 0


@pytest.mark.parametrize("cursor", ["nonsense!", "x" * 300, "MjAyNi0xMS0yN3xub3Q", ""])
def test_a_cursor_this_server_did_not_give_is_bad_input(db: Database, cursor: str) -> None:
    with pytest.raises(BadInput, match="cursor"):
        service.list_alerts(db=db, cursor=cursor or "=")


def test_the_api_gives_the_total_and_a_link_to_the_next_page(
    client: Any, db: Database, runbook: Runbook, tokens: dict[str, str]
) -> None:
    store(db, runbook, [firing(n) for n in range(5)])
    answer = client.get("/api/v1/alerts?state=firing&limit=2", headers=bearer(tokens["viewer"]))
    assert answer.status_code == 200 and len(answer.json()) == 2
    assert answer.headers["X-Total-Count"] == "5"
    assert answer.headers["X-Total-Relation"] == "eq"
    following = answer.headers["X-Next-Cursor"]
    assert answer.headers["Link"] == (
        f'</api/v1/alerts?state=firing&limit=2&cursor={following}>; rel="next"'
    )
    rest = client.get(
        f"/api/v1/alerts?state=firing&limit=5&cursor={following}", headers=bearer(tokens["viewer"])
    )
    assert len(rest.json()) == 3 and "X-Next-Cursor" not in rest.headers
    bad = client.get("/api/v1/alerts?cursor=abc", headers=bearer(tokens["viewer"]))
    assert bad.status_code == 422 and "cursor" in bad.json()["detail"]


def test_a_total_past_the_counting_bound_says_at_least(
    db: Database, runbook: Runbook, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opsbook.monitoring import alert_list

    monkeypatch.setattr(alert_list, "COUNT_CAP", 4)
    monkeypatch.setattr(service, "COUNT_CAP", 4)
    store(db, runbook, [firing(n) for n in range(6)])
    page = service.list_alerts(db=db, limit=2)
    assert (page.total, page.total_exact) == (4, False)
    assert service.list_alerts(db=db, state="resolved").total_exact is True


def test_incidents_and_silences_page_the_same_way(
    client: Any, db: Database, runbook: Runbook, tokens: dict[str, str]
) -> None:
    from opsbook.incidents import service as incidents

    for n in range(3):
        incidents.open_incident(
            db=db,
            runbook=runbook,
            title=f"outage {n}",
            severity_level="SEV-3",
            actor="ana",
            now=NOW,
        )
        service.add_silence(
            db=db,
            matchers=[f'instance="web{n}"'],
            duration=3600 * (n + 1),
            by="ana",
            comment="",
            now=datetime.now(UTC),
        )
    viewer = bearer(tokens["viewer"])
    for path, first in (("/api/v1/incidents", "outage 2"), ("/api/v1/silences", None)):
        answer = client.get(f"{path}?limit=2", headers=viewer)
        assert answer.status_code == 200, answer.text
        assert answer.headers["X-Total-Count"] == "3" and len(answer.json()) == 2
        rest = client.get(
            f"{path}?limit=2&cursor={answer.headers['X-Next-Cursor']}", headers=viewer
        )
        assert len(rest.json()) == 1 and "X-Next-Cursor" not in rest.headers
        ids = [item["id"] for item in answer.json() + rest.json()]
        assert len(set(ids)) == 3
        if first:
            assert answer.json()[0]["title"] == first


def test_the_search_index_follows_new_and_changed_alerts(db: Database, runbook: Runbook) -> None:
    from sqlalchemy import text

    store(db, runbook, [firing(1, "disk of web001 is full")])
    assert service.index_alerts(db=db) == 1  # stored without indexing, indexed after
    assert service.index_alerts(db=db) == 0
    store(db, runbook, [firing(2, "memory of web002 is full")])
    assert service.list_alerts(db=db, text="web002").total == 1  # the search catches up first
    with db.transaction() as session:  # an indexed alert changes: the index follows
        session.execute(
            text("UPDATE alerts SET summary = 'cpu of web003' WHERE summary LIKE 'disk%'")
        )
    assert service.list_alerts(db=db, text="disk of").total == 0
    assert service.list_alerts(db=db, text="cpu of web003").total == 1
    with db.transaction() as session:  # a row stored below the mark is indexed at once
        session.execute(text("DELETE FROM alerts WHERE summary LIKE 'memory%'"))
    store(db, runbook, [firing(4, "net of web004 is down")])
    assert service.list_alerts(db=db, text="net of web004").total == 1
    assert service.list_alerts(db=db, text="memory of").total == 0
