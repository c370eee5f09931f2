"""Races on one waiting step, against a real `opsbook serve` on SQLite and on PostgreSQL:
people deciding at once through the API (and `opsbook resume` at a terminal) — exactly one
decision wins, every other one answers 409 saying who decided, and the record agrees."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.postgres import fresh_schema
from tests.procedures.cli_support import cli_env, opsbook
from tests.web.served import bootstrap_token, serve_runbook

pytestmark = pytest.mark.process

PEOPLE = ("omar", "oona", "otto", "olive", "oscar", "ola", "orin", "opal")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Empty for SQLite in the state directory, else a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield ""
        return
    with fresh_schema("races") as url:
        yield url


@dataclass
class Server:
    base: str
    admin: dict[str, str]
    people: dict[str, dict[str, str]]
    sql_url: str

    def get(self, path: str) -> Any:
        response = httpx.get(self.base + path, headers=self.admin, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def wait_for(self, run_id: int, *statuses: str) -> Any:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            run = self.get(f"/api/v1/runs/{run_id}")
            if run["status"] in statuses:
                return run
            time.sleep(0.05)
        raise AssertionError(f"run {run_id} stayed {run['status']}, wanted {statuses}")

    def start(self, procedure: str, **params: str) -> int:
        url = f"{self.base}/api/v1/procedures/{procedure}/runs"
        started = httpx.post(url, headers=self.admin, json={"params": params}, timeout=30)
        assert started.status_code == 202, started.text
        run_id: int = started.json()["id"]
        self.wait_for(run_id, "waiting")
        return run_id

    def rows(self, query: str, **values: Any) -> list[tuple[Any, ...]]:
        engine = create_engine(self.sql_url)
        try:
            with engine.connect() as connection:
                return [tuple(r) for r in connection.execute(text(query), values)]
        finally:
            engine.dispose()


@pytest.fixture
def server(runbook_path: Path, database_url: str, tmp_path: Path) -> Iterator[Server]:
    home = tmp_path / "state"
    process, base = serve_runbook(runbook_path, database_url, home, "--bootstrap-admin", "root")
    try:
        admin = {"Authorization": f"Bearer {bootstrap_token(process)}"}
        people = {}
        for name in PEOPLE:
            made = httpx.post(
                f"{base}/api/v1/tokens", headers=admin, json={"name": name, "role": "operator"}
            )
            assert made.status_code == 201, made.text
            people[name] = {"Authorization": f"Bearer {made.json()['token']}"}
        yield Server(base, admin, people, database_url or f"sqlite:///{home / 'opsbook.db'}")
    finally:
        process.terminate()
        process.wait(timeout=30)


def at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Make every call at the same moment, each from its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    answers: list[httpx.Response | None] = [None] * len(calls)

    def go(index: int) -> None:
        barrier.wait()
        answers[index] = calls[index]()

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(a is not None for a in answers)
    return [a for a in answers if a is not None]


def post(server: Server, who: str, path: str, body: Any = None) -> Callable[[], httpx.Response]:
    headers = server.people[who]
    return lambda: httpx.post(server.base + path, headers=headers, json=body, timeout=60)


def test_concurrent_decisions_on_one_step_let_exactly_one_win(server: Server) -> None:
    run_id = server.start("startup")
    kinds = ("confirm", "skip", "abort")
    calls = []
    for i, who in enumerate(PEOPLE):
        kind = kinds[i % 3]
        if kind == "abort":
            # An abort of the step each person saw waiting: decided against that step alone,
            # never a stop of the run the winner sent on.
            calls.append(post(server, who, f"/api/v1/runs/{run_id}/abort", {"step": "steps:2"}))
        else:
            calls.append(post(server, who, f"/api/v1/runs/{run_id}/confirm", {"decision": kind}))
    answers = at_once(calls)
    assert sorted(a.status_code for a in answers) == [200] + [409] * (len(PEOPLE) - 1)
    winner = next(i for i, a in enumerate(answers) if a.status_code == 200)
    who, decision = (
        PEOPLE[winner],
        {"confirm": "confirmed", "skip": "skipped", "abort": "aborted"}[kinds[winner % 3]],
    )
    for answer in answers:
        if answer.status_code == 409:
            assert f"{decision} by {who} at " in answer.json()["detail"], answer.text
    run = server.wait_for(run_id, "succeeded", "failed", "rolled-back")
    assert run["status"] == ("succeeded" if decision != "aborted" else "failed")
    stored = server.rows(
        "SELECT decision, decided_by, via FROM run_confirmations WHERE run_id = :r "
        "AND step_key = 'steps:2'",
        r=run_id,
    )
    assert stored == [(decision, who, "web")]
    queued = server.rows("SELECT count(*) FROM jobs WHERE payload LIKE '%\"resume\": true%'")
    assert queued == [(1,)]  # the run was sent on once


def test_concurrent_duplicate_approvals_by_one_person_answer_409_never_500(
    server: Server,
) -> None:
    run_id = server.start("deploy", VERSION="2.0")
    answers = at_once([post(server, "omar", f"/api/v1/runs/{run_id}/approve")] * 8)
    assert sorted(a.status_code for a in answers) == [200] + [409] * 7
    for answer in answers[1:]:
        if answer.status_code == 409:
            assert "omar already approved" in answer.json()["detail"]
    approvals = server.rows("SELECT approver FROM run_approvals WHERE run_id = :r", r=run_id)
    assert approvals == [("omar",)]
    run = server.get(f"/api/v1/runs/{run_id}")
    assert run["status"] == "waiting" and run["waiting"]["approved_by"] == ["omar"]


def test_concurrent_approvals_by_many_let_exactly_the_needed_two_decide(server: Server) -> None:
    run_id = server.start("deploy", VERSION="2.0")
    answers = at_once([post(server, who, f"/api/v1/runs/{run_id}/approve") for who in PEOPLE])
    assert sorted(a.status_code for a in answers) == [200, 200] + [409] * (len(PEOPLE) - 2)
    approvers = {PEOPLE[i] for i, a in enumerate(answers) if a.status_code == 200}
    stored = set(server.rows("SELECT approver FROM run_approvals WHERE run_id = :r", r=run_id))
    assert stored == {(who,) for who in approvers}
    run = server.wait_for(run_id, "succeeded", "failed")
    assert run["status"] == "succeeded"
    [decided] = [c for c in run["confirmations"] if c["step"] == "steps:2"]
    assert decided["decision"] == "confirmed"
    assert set(decided["by"].removeprefix("approved by ").split(", ")) == approvers
    for answer in answers:
        if answer.status_code == 409:
            assert f"confirmed ({decided['by']}) at " in answer.json()["detail"], answer.text


def test_a_terminal_resume_and_web_decisions_at_once_decide_the_step_once(
    server: Server, runbook_path: Path, database_url: str, tmp_path: Path
) -> None:
    env = cli_env(tmp_path / "state")
    if database_url:
        env["OPSBOOK_DATABASE_URL"] = database_url
    waiting = opsbook("run", str(runbook_path), "startup", env=env)
    assert waiting.returncode == 1 and "waits for a person" in waiting.stdout
    run_id = server.get("/api/v1/runs")["runs"][0]["id"]

    resumed: list[Any] = []

    def resume() -> httpx.Response:
        resumed.append(opsbook("resume", str(run_id), "--yes", env=env))
        return httpx.Response(200)

    body = {"decision": "confirm"}
    answers = at_once(
        [resume] + [post(server, who, f"/api/v1/runs/{run_id}/confirm", body) for who in PEOPLE]
    )[1:]
    codes = sorted(a.status_code for a in answers)
    assert codes in ([409] * len(PEOPLE), [200] + [409] * (len(PEOPLE) - 1)), codes
    run = server.wait_for(run_id, "succeeded", "failed")
    assert run["status"] == "succeeded", (run, resumed[0].stdout, resumed[0].stderr)
    [decided] = [c for c in run["confirmations"] if c["step"] == "steps:2"]
    if 200 in codes:
        web_winner = PEOPLE[[a.status_code for a in answers].index(200)]
        assert (decided["by"], decided["via"]) == (web_winner, "web")
    else:
        assert (decided["by"], decided["via"]) == ("alice", "yes")
    # Whoever drove the run on, each step ran once.
    steps = [a["step"] for a in run["attempts"]]
    assert sorted(steps) == sorted(set(steps)) and "steps:3" in steps, steps
