"""Every integer in a path or query, sent beyond what the databases hold (PostgreSQL's INTEGER
ends at 2^31-1, SQLite's at 2^63-1), is refused with 422 naming the parameter, on SQLite and
PostgreSQL: the routes are read from the app itself, so a new route cannot be left out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from opsbook.access import service
from opsbook.access.roles import Role
from opsbook.inputs import MAX_ID
from opsbook.store.database import Database, open_database
from opsbook.web.app import create_app, routers
from opsbook.web.routes import incidents
from opsbook.web.runbook_source import RunbookSource
from opsbook.web.state import AppState
from tests.postgres import fresh_schema

HUGE = [MAX_ID + 1, 2**63, 10**30, 0, -(2**63) - 1]


def _integer_parameters() -> list[tuple[str, str, str, str]]:
    """Return (method, path, where, name) of every integer path and query parameter."""
    found = []
    for router in [*routers(), incidents.router]:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            for where, params in (
                ("path", route.dependant.path_params),
                ("query", route.dependant.query_params),
            ):
                for param in params:
                    if param.field_info.annotation in (int, int | None):
                        method = sorted(route.methods)[0]
                        found.append((method, route.path, where, param.name))
    return found


PARAMETERS = _integer_parameters()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def admin(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A client of the app on SQLite, then PostgreSQL, and an admin's bearer header."""
    tmp = tmp_path_factory.mktemp("ids")
    runbook = tmp / "RUNBOOK.md"
    runbook.write_text((Path(__file__).parent / "data" / "RUNBOOK.md").read_text())

    def serve(db: Database) -> Iterator[tuple[TestClient, dict[str, str]]]:
        now = datetime.now(UTC)
        state = AppState(db=db, source=RunbookSource.load(runbook, now))
        state.run_worker = False
        _, token = service.create_token(db, name="a", role=Role.ADMIN, created_by="t", now=now)
        with TestClient(create_app(state), base_url="http://127.0.0.1") as client:
            yield client, {"Authorization": f"Bearer {token}"}
        db.dispose()

    if request.param == "sqlite":
        yield from serve(open_database(f"sqlite:///{tmp / 'opsbook.db'}"))
    else:
        with fresh_schema("ids") as url:
            yield from serve(open_database(url))


def test_the_app_has_integer_parameters_to_attack() -> None:
    paths = {path for _, path, _, _ in PARAMETERS}
    assert {"/api/v1/runs/{run_id}", "/runs", "/incidents/{incident_id}/force"} <= paths


@pytest.mark.parametrize(("method", "path", "where", "name"), PARAMETERS)
def test_an_integer_beyond_the_database_range_is_refused_with_422(
    admin: tuple[TestClient, dict[str, str]], method: str, path: str, where: str, name: str
) -> None:
    client, auth = admin
    for value in HUGE:
        url = path.replace("{verb}", "ack").replace("{issue_id}", "x")
        for param in ("run_id", "token_id", "user_id", "alert_id", "incident_id", "item_id"):
            url = url.replace("{" + param + "}", str(value if param == name else 1))
        if where == "query":
            url += f"?{name}={value}"
        answer = client.request(method, url, headers=auth)
        assert answer.status_code == 422, (url, answer.status_code, answer.text[:200])
        assert [where, name] in [e["loc"] for e in answer.json()["detail"]], answer.text
