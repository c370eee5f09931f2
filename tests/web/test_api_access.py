"""Access control over HTTP: 401 without credentials, 403 for the wrong role, revocation,
CSRF on session requests, login cookies and the failed-login rate limit."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from opsbook.access import service
from opsbook.access.roles import Role, allows
from opsbook.web.state import AppState
from tests.web.conftest import bearer
from tests.web.served_routes import Served, readme_public_routes, served_routes

# What each route is meant to need, stated once: reads need a viewer, writes an operator;
# managing people and tokens, editing the runbook, overriding a guard, and reading or handing
# on evidence (each read is a custody event) need an admin;
# the webhook needs `ingest`. The login page and the README's public routes need nobody.
LOGIN_PAGE = ("/login", "/logout")
ADMIN_AREAS = ("/api/v1/tokens", "/api/v1/users", "/tokens")
ADMIN_WRITES = ("/incidents/{incident_id}/update-runbook", "/incidents/{incident_id}/force")
ADMIN_EVIDENCE = (
    "/api/v1/evidence/{sha256}/blob",
    "/api/v1/evidence/{sha256}/transfer",
    "/api/v1/evidence/{sha256}/release",
    "/api/v1/evidence/{sha256}/dispose",
    "/api/v1/evidence-verify",
    "/api/v1/incidents/{incident_id}/evidence.tar",
)
INGEST_ONLY = ("/api/v1/alertmanager",)
FORM, JSON = "application/x-www-form-urlencoded", "application/json"
Body = tuple[bytes, str] | None
GARBAGE: tuple[Body, ...] = ((b'{"not json', JSON), (b"name=x&role=admin&text=x", FORM))


def needed_role(route: Served) -> Role | None:
    """Return the least role a route is meant to need; None when it is public."""
    if route.path in LOGIN_PAGE or route.path in readme_public_routes():
        return None
    if route.path in INGEST_ONLY:
        return Role.INGEST
    if route.path.startswith(ADMIN_AREAS) or route.path in ADMIN_WRITES + ADMIN_EVIDENCE:
        return Role.ADMIN
    return Role.OPERATOR if route.writes else Role.VIEWER


@pytest.fixture
def served(client: TestClient) -> list[Served]:
    assert isinstance(client.app, FastAPI)
    routes = served_routes(client.app)
    paths = {r.path for r in routes}
    # The incidents router is included apart from the others: it must be here all the same.
    assert {"/api/v1/incidents", "/incidents/{incident_id}/force", "/api/docs"} <= paths
    return routes


def protected(served: list[Served]) -> list[Served]:
    return [r for r in served if needed_role(r) is not None]


def send(
    client: TestClient, route: Served, headers: dict[str, str] | None = None, body: Body = None
) -> Response:
    sent = dict(headers or {})
    content = None
    if body is not None:
        content, sent["Content-Type"] = body
    return client.request(route.method, route.url, headers=sent, content=content)


def test_every_route_but_the_public_ones_refuses_a_caller_without_credentials(
    client: TestClient, served: list[Served]
) -> None:
    for route in protected(served):
        for body in (None, *GARBAGE):  # a body is refused unread: 401, not a parse error
            response = send(client, route, body=body)
            assert response.status_code == 401, (route, body, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
        browser = client.request(
            route.method, route.url, headers={"Accept": "text/html"}, follow_redirects=False
        )
        if route.is_page:
            assert browser.status_code == 303, (route, browser.text)
            assert browser.headers["location"] == f"/login?next={route.url}"
        else:
            assert browser.status_code == 401, (route, browser.text)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_through_exactly_the_routes_it_is_allowed(
    client: TestClient, tokens: dict[str, str], served: list[Served], role: Role
) -> None:
    caller = bearer(tokens[role.value])
    allowed, refused = [], []
    for route in protected(served):
        needed = needed_role(route)
        assert needed is not None
        if allows(role, needed):
            allowed.append(route)
            continue
        refused.append(route)
        for body in (None, *GARBAGE):  # refused before its body is read
            response = send(client, route, caller, body)
            assert response.status_code == 403, (role, route, body, response.text)
            assert f"this needs the {needed.value} role" in response.json()["detail"]
    for route in allowed:
        # Every id names nothing and no body is sent: a write answers 404 or 422, changing nothing.
        response = send(client, route, caller)
        expected = (404, 422) if route.writes else (200, 404)
        assert response.status_code in expected, (role, route, response.text)
    if role is Role.VIEWER:
        assert not [r for r in allowed if r.writes], "a viewer may write nothing"
    if role is Role.INGEST:
        assert [(r.method, r.path) for r in allowed] == [("POST", "/api/v1/alertmanager")]


def test_a_session_write_without_its_csrf_token_is_refused_on_every_route(
    client: TestClient, tokens: dict[str, str], served: list[Served]
) -> None:
    assert _login(client, tokens["admin"])[0] == 303
    page = client.get("/")
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
    assert csrf is not None
    writes = [r for r in served if r.writes and r.path not in LOGIN_PAGE]
    for route in writes:
        for headers, body in (
            ({}, (b"name=x", FORM)),
            ({}, (b'{"name": "x"}', JSON)),
            ({}, (b"csrf_token=forged", FORM)),
            ({"X-CSRF-Token": "forged"}, None),
        ):
            response = send(client, route, headers, body)
            assert response.status_code == 403, (route, headers, body, response.text)
            assert "CSRF" in response.text
        # The same request with the session's token passes the check (404/422: nothing there).
        passed = send(client, route, {"X-CSRF-Token": csrf.group(1)})
        assert passed.status_code in (404, 422), (route, passed.text)
    for path in LOGIN_PAGE:  # sign-in and sign-out carry their own token too
        response = client.post(path, data={"secret": tokens["admin"]}, follow_redirects=False)
        assert response.status_code == 403, (path, response.text)
    assert client.get("/api/v1/me").json()["name"] == "admin-user"


def test_public_routes_answer_without_credentials(client: TestClient) -> None:
    assert client.get("/api/v1/health").json()["status"] == "ok"
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and "opsbook_http_requests_total" in metrics.text
    assert client.get("/login").status_code == 200


def test_a_browser_without_a_session_is_sent_to_the_login_page(client: TestClient) -> None:
    response = client.get("/procedures", headers={"Accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/procedures"


def test_a_wrong_token_gets_401(client: TestClient) -> None:
    response = client.get("/api/v1/runbook", headers=bearer("opsb_not-a-real-token"))
    assert response.status_code == 401
    assert "not valid" in response.json()["detail"]


def test_viewer_reads_but_may_not_manage_tokens(client: TestClient, tokens: dict[str, str]) -> None:
    viewer = bearer(tokens["viewer"])
    assert client.get("/api/v1/procedures", headers=viewer).status_code == 200
    assert client.get("/api/v1/runbook", headers=viewer).json()["system"]["name"] == "Demo Service"
    assert client.get("/api/v1/tokens", headers=viewer).status_code == 403
    created = client.post("/api/v1/tokens", headers=viewer, json={"name": "x", "role": "admin"})
    assert created.status_code == 403
    assert "needs the admin role" in created.json()["detail"]


def test_operator_may_not_manage_tokens(client: TestClient, tokens: dict[str, str]) -> None:
    operator = bearer(tokens["operator"])
    assert client.get("/api/v1/tokens", headers=operator).status_code == 403
    assert client.delete("/api/v1/tokens/1", headers=operator).status_code == 403


def test_ingest_token_reads_nothing(client: TestClient, tokens: dict[str, str]) -> None:
    assert client.get("/api/v1/runbook", headers=bearer(tokens["ingest"])).status_code == 403


def test_a_revoked_token_stops_working_at_once(client: TestClient, tokens: dict[str, str]) -> None:
    admin = bearer(tokens["admin"])
    created = client.post("/api/v1/tokens", headers=admin, json={"name": "ci", "role": "viewer"})
    assert created.status_code == 201
    token, token_id = created.json()["token"], created.json()["info"]["id"]
    assert client.get("/api/v1/me", headers=bearer(token)).json()["name"] == "ci"
    revoked = client.delete(f"/api/v1/tokens/{token_id}", headers=admin)
    assert revoked.json()["active"] is False
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    listed = client.get("/api/v1/tokens", headers=admin).json()
    assert all("token" not in row for row in listed)


def test_token_list_never_shows_a_token_or_its_hash(
    client: TestClient, tokens: dict[str, str]
) -> None:
    body = client.get("/api/v1/tokens", headers=bearer(tokens["admin"])).text
    for token in tokens.values():
        assert token not in body
    assert "hash" not in body


def _login(client: TestClient, secret: str, name: str = "") -> tuple[int, str]:
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    response = client.post(
        "/login",
        data={"name": name, "secret": secret, "csrf_token": csrf.group(1), "next": "/procedures"},
        follow_redirects=False,
    )
    return response.status_code, response.headers.get("set-cookie", "")


def test_login_with_a_token_opens_a_strict_httponly_session(
    client: TestClient, tokens: dict[str, str]
) -> None:
    status, cookie = _login(client, tokens["operator"])
    assert status == 303
    assert "opsbook_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain http on loopback; https sets Secure
    page = client.get("/procedures")
    assert page.status_code == 200 and "Startup Procedure" in page.text


def test_login_over_https_marks_the_cookie_secure(state: AppState, tokens: dict[str, str]) -> None:
    from opsbook.web.app import create_app

    with TestClient(create_app(state), base_url="https://127.0.0.1") as secure:
        status, cookie = _login(secure, tokens["viewer"])
    assert status == 303 and "Secure" in cookie


def test_login_with_name_and_password(client: TestClient, state: AppState) -> None:
    from opsbook.access.roles import Role

    service.create_user(
        state.db, name="alice", role=Role.OPERATOR, password="s3cret-pass", now=datetime.now(UTC)
    )
    assert _login(client, "wrong-pass", "alice")[0] == 401
    assert _login(client, "s3cret-pass", "alice")[0] == 303
    assert client.get("/api/v1/me").json() == {
        "name": "alice",
        "role": "operator",
        "via": "session",
    }


def test_login_form_without_its_csrf_token_is_refused(
    client: TestClient, tokens: dict[str, str]
) -> None:
    client.get("/login")
    response = client.post(
        "/login", data={"secret": tokens["admin"], "csrf_token": "forged"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "opsbook_session" not in response.headers.get("set-cookie", "")


def test_session_post_without_csrf_token_is_refused(
    client: TestClient, tokens: dict[str, str]
) -> None:
    _login(client, tokens["admin"])
    refused = client.post("/api/v1/tokens", json={"name": "x", "role": "viewer"})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    page = client.get("/")
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
    assert csrf is not None
    accepted = client.post(
        "/api/v1/tokens",
        json={"name": "x", "role": "viewer"},
        headers={"X-CSRF-Token": csrf.group(1)},
    )
    assert accepted.status_code == 201


def test_revoking_a_token_ends_the_sessions_it_opened(
    client: TestClient, state: AppState, tokens: dict[str, str]
) -> None:
    _login(client, tokens["viewer"])
    assert client.get("/api/v1/me").status_code == 200
    service.revoke_token(state.db, name="viewer-user", now=datetime.now(UTC))
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("limit", [5])
def test_failed_logins_are_rate_limited(
    client: TestClient, tokens: dict[str, str], limit: int
) -> None:
    for _ in range(limit):
        assert _login(client, "opsb_wrong")[0] == 401
    status, _ = _login(client, tokens["admin"])
    assert status == 429  # even the right token waits once the limit is reached
    response = client.get("/login")
    assert response.status_code == 200


def test_logout_ends_the_session(client: TestClient, tokens: dict[str, str]) -> None:
    _login(client, tokens["viewer"])
    page = client.get("/")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    client.post("/logout", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
    assert client.get("/api/v1/me").status_code == 401


def test_pages_carry_security_headers(client: TestClient) -> None:
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_admin_creates_and_disables_a_user_who_signs_in_with_a_password(
    client: TestClient, tokens: dict[str, str]
) -> None:
    admin = bearer(tokens["admin"])
    body = {"name": "bea", "role": "operator", "password": "long-enough-pw"}
    assert (
        client.post("/api/v1/users", headers=bearer(tokens["operator"]), json=body).status_code
        == 403
    )
    short = client.post("/api/v1/users", headers=admin, json={**body, "password": "short"})
    assert short.status_code == 422
    created = client.post("/api/v1/users", headers=admin, json=body)
    assert created.status_code == 201 and "password" not in created.text
    assert client.post("/api/v1/users", headers=admin, json=body).status_code == 409
    assert _login(client, "long-enough-pw", "bea")[0] == 303
    assert client.get("/api/v1/me").json()["name"] == "bea"
    gone = client.delete(f"/api/v1/users/{created.json()['id']}", headers=admin)
    assert gone.json()["disabled"] is True
    assert client.get("/api/v1/me").status_code == 401
    assert _login(client, "long-enough-pw", "bea")[0] == 401
