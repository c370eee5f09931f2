"""What is public and what each answer tells the browser: the README's list of public routes
is the app's, the API docs need sign-in and load nothing from elsewhere, a new token is never
cached, and https answers carry HSTS."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from opsbook.web.app import create_app
from opsbook.web.state import AppState
from tests.web.conftest import bearer
from tests.web.served_routes import readme_public_routes, served_routes


def test_the_readmes_public_routes_are_exactly_the_ones_that_answer_without_a_token(
    client: TestClient,
) -> None:
    assert isinstance(client.app, FastAPI)
    answered = set()
    for route in served_routes(client.app):
        if route.path in ("/login", "/logout"):
            continue  # the login page: the README names it in words
        if client.request(route.method, route.url).status_code not in (401, 403):
            answered.add(route.path)
    public = {
        "/api/v1/health",
        "/metrics",
        "/openapi.json",
        "/static/",
        "/oncall/feeds/{rotation}.ics",
    }
    assert answered == readme_public_routes() == public


def test_the_api_docs_need_sign_in_and_load_only_this_servers_files(
    client: TestClient, tokens: dict[str, str]
) -> None:
    assert client.get("/api/docs").status_code == 401
    browser = client.get("/api/docs", headers={"Accept": "text/html"}, follow_redirects=False)
    assert browser.status_code == 303 and browser.headers["location"] == "/login?next=/api/docs"
    docs = client.get("/api/docs", headers=bearer(tokens["viewer"]))
    assert docs.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in sources
    assert not [s for s in sources if "//" in s], sources  # no CDN, no other site
    assert "<script>" not in docs.text and "style=" not in docs.text  # the CSP allows neither
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        served = client.get(f"/static/vendor/swagger-ui/{asset}")
        assert served.status_code == 200 and len(served.content) > 100_000
    assert client.get("/openapi.json").json()["paths"]["/api/v1/runs"]


def test_a_new_token_is_never_kept_by_a_cache(client: TestClient, tokens: dict[str, str]) -> None:
    admin = bearer(tokens["admin"])
    created = client.post("/api/v1/tokens", headers=admin, json={"name": "ci", "role": "viewer"})
    assert created.status_code == 201 and created.json()["token"].startswith("opsb_")
    assert created.headers["cache-control"] == "no-store"
    page = client.post("/tokens", headers=admin, data={"name": "ci2", "role": "viewer"})
    assert page.status_code == 201 and "opsb_" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert client.get("/tokens", headers=admin).headers["cache-control"] == "no-store"


def test_https_answers_carry_hsts_and_plain_http_ones_do_not(
    state: AppState, client: TestClient
) -> None:
    assert "strict-transport-security" not in client.get("/api/v1/health").headers
    with TestClient(create_app(state), base_url="https://127.0.0.1") as secure:
        for path in ("/api/v1/health", "/login", "/nope"):
            answer = secure.get(path)
            assert answer.headers["strict-transport-security"] == "max-age=31536000", path
