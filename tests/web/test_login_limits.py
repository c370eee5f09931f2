"""The failed-login limit under attack: nobody can lock someone else out, guessing stays
slow, and a forwarded address (or https) counts only from a proxy `--trusted-proxy` names."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from opsbook.access import service
from opsbook.access.roles import Role
from opsbook.web.app import create_app
from opsbook.web.state import AppState
from tests.web.served import bootstrap_token, serve_runbook

PASSWORD = "ann-long-password"
ATTACKER = ("203.0.113.66", 40000)
ANN_DESK = ("198.51.100.7", 50000)


@pytest.fixture
def ann(state: AppState) -> str:
    service.create_user(
        state.db, name="ann", role=Role.OPERATOR, password=PASSWORD, now=datetime.now(UTC)
    )
    return "ann"


def sign_in(client: TestClient | httpx.Client, name: str, secret: str, **headers: str) -> int:
    form = client.get("/login", headers=headers)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    answer = client.post(
        "/login",
        data={"name": name, "secret": secret, "csrf_token": csrf.group(1), "next": "/"},
        headers=headers,
        follow_redirects=False,
    )
    return answer.status_code


def client_at(state: AppState, address: tuple[str, int]) -> TestClient:
    return TestClient(create_app(state), base_url="http://127.0.0.1", client=address)


def test_five_wrong_passwords_from_an_attacker_do_not_lock_ann_out(
    state: AppState, ann: str
) -> None:
    with client_at(state, ATTACKER) as attacker:
        for _ in range(5):
            assert sign_in(attacker, ann, "guess") == 401
        assert sign_in(attacker, ann, "guess") == 429
        assert sign_in(attacker, ann, PASSWORD) == 429  # the pair stays locked, even if right
    with client_at(state, ANN_DESK) as desk:
        assert sign_in(desk, ann, PASSWORD) == 303
        assert desk.get("/api/v1/me").json()["name"] == "ann"


def test_guesses_at_one_account_from_many_addresses_are_paced_not_locked(
    state: AppState, ann: str
) -> None:
    with ExitStack() as stack:
        botnet = [
            stack.enter_context(client_at(state, (f"203.0.113.{n}", 40000))) for n in range(1, 7)
        ]
        for bot in botnet:
            assert sign_in(bot, ann, "guess") == 401  # each address's first try is heard
        assert sign_in(botnet[0], ann, "guess") == 429  # tried before: waits for its turn
    with client_at(state, ANN_DESK) as desk:
        assert sign_in(desk, ann, PASSWORD) == 303  # an address with no failures goes ahead


def test_one_address_guessing_at_many_accounts_is_locked(state: AppState) -> None:
    with client_at(state, ATTACKER) as attacker:
        for n in range(20):
            assert sign_in(attacker, f"user{n}", "guess") == 401
        assert sign_in(attacker, "someone-else", "guess") == 429


@pytest.fixture
def served_ann(runbook_path: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    extra: tuple[str, ...] = getattr(request, "param", ())
    process, base = serve_runbook(
        runbook_path, "", tmp_path / "state", "--bootstrap-admin", "root", *extra
    )
    try:
        admin = {"Authorization": f"Bearer {bootstrap_token(process)}"}
        ann = {"name": "ann", "role": "operator", "password": PASSWORD}
        made = httpx.post(f"{base}/api/v1/users", headers=admin, json=ann)
        assert made.status_code == 201, made.text
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.process
def test_a_spoofed_forwarded_address_through_loopback_is_not_believed_by_default(
    served_ann: str,
) -> None:
    with httpx.Client(base_url=served_ann) as loopback:
        # Guesses at 20 accounts, each claiming another address: all count against
        # 127.0.0.1, which is then locked out, whatever address the next one claims.
        for n in range(20):
            spoof = {"X-Forwarded-For": f"192.0.2.{n}"}
            assert sign_in(loopback, f"user{n}", "guess", **spoof) == 401
        assert sign_in(loopback, "ann", "guess", **{"X-Forwarded-For": "192.0.2.99"}) == 429
        # Nor does a claimed https make this plain-http answer send HSTS.
        claimed = loopback.get("/api/v1/health", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in claimed.headers


@pytest.mark.process
@pytest.mark.parametrize("served_ann", [("--trusted-proxy", "127.0.0.1")], indirect=True)
def test_a_forwarded_address_from_a_trusted_proxy_is_the_client(served_ann: str) -> None:
    with httpx.Client(base_url=served_ann) as proxy:
        for _ in range(5):
            assert sign_in(proxy, "ann", "guess", **{"X-Forwarded-For": "192.0.2.1"}) == 401
        assert sign_in(proxy, "ann", "guess", **{"X-Forwarded-For": "192.0.2.1"}) == 429
        # The proxy forwards ann from her own desk: another client, not locked.
        assert sign_in(proxy, "ann", PASSWORD, **{"X-Forwarded-For": "198.51.100.7"}) == 303
        # The proxy ended https: the answer says so (HSTS), as plain http's does not.
        https = proxy.get("/api/v1/health", headers={"X-Forwarded-Proto": "https"})
        assert https.headers["strict-transport-security"] == "max-age=31536000"
        assert "strict-transport-security" not in proxy.get("/api/v1/health").headers


@pytest.mark.process
def test_serve_refuses_a_trusted_proxy_that_is_not_an_address(runbook_path: Path) -> None:
    import subprocess

    from tests.web.served import OPSBOOK

    done = subprocess.run(
        [OPSBOOK, "serve", str(runbook_path), "--trusted-proxy", "proxy.example"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--trusted-proxy: trusted proxy 'proxy.example' is not an IP address" in done.stderr
