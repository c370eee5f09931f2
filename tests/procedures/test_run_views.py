"""The run views are the JSON contract of `runs show --json`, `runs list --json` and the API."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime

from opsbook.procedures.views import (
    AttemptView,
    ConfirmationView,
    RunDetailView,
    RunPage,
    RunView,
    WaitingView,
    WatchedRunView,
    json_ready,
)

STARTED = datetime(2026, 11, 27, 6, 0, 0, 1, tzinfo=UTC)
ENDED = datetime(2026, 11, 27, 6, 0, 2, tzinfo=UTC)
RUN = RunView(
    7,
    "deploy",
    "Deploy",
    "procedure",
    "/srv/RUNBOOK.md",
    "failed",
    "step 2 failed",
    STARTED,
    ENDED,
    "alice",
    {"VERSION": "1.4", "TOKEN": "****"},
    None,
    None,
)
ATTEMPT = AttemptView(
    "steps:1",
    "steps",
    1,
    "Ship",
    "echo hi",
    "local",
    1,
    "passed",
    0,
    STARTED,
    ENDED,
    0.25,
    "hi\n",
    "",
    None,
)
ASKED = ConfirmationView("steps:2", "waiting", None, None, STARTED, None)
DETAIL = RunDetailView.of(RUN, {"steps:1": "passed"}, (ATTEMPT,), (ASKED,))


def test_a_run_is_json_with_the_documented_keys_in_their_order_and_iso_times() -> None:
    data = json_ready(DETAIL)
    assert list(data) == [
        "id",
        "procedure",
        "title",
        "kind",
        "runbook",
        "status",
        "message",
        "started_at",
        "finished_at",
        "started_by",
        "params",
        "host",
        "waiting_step",
        "steps",
        "attempts",
        "confirmations",
    ]
    assert data["started_at"] == "2026-11-27T06:00:00.000001+00:00"
    assert data["finished_at"] == "2026-11-27T06:00:02+00:00"
    assert data["params"] == {"VERSION": "1.4", "TOKEN": "****"}
    assert data["confirmations"] == [
        {
            "step": "steps:2",
            "decision": "waiting",
            "by": None,
            "via": None,
            "requested_at": "2026-11-27T06:00:00.000001+00:00",
            "decided_at": None,
        }
    ]
    attempt = data["attempts"]
    assert isinstance(attempt, list) and isinstance(attempt[0], dict)
    assert list(attempt[0]) == [
        "step",
        "phase",
        "number",
        "text",
        "command",
        "host",
        "attempt",
        "status",
        "exit_code",
        "started_at",
        "finished_at",
        "duration",
        "stdout",
        "stderr",
        "error",
    ]
    assert json.loads(json.dumps(data)) == data


def test_a_watched_run_keeps_the_record_and_adds_the_step_it_waits_at() -> None:
    waiting = WaitingView("steps:2", "step 2", "Look", None, 2, ("bob",))
    watched = WatchedRunView.of_detail(DETAIL, waiting)
    shared = [f.name for f in fields(RunDetailView)]
    assert [getattr(watched, n) for n in shared] == [getattr(DETAIL, n) for n in shared]
    assert json_ready(watched)["waiting"] == {
        "key": "steps:2",
        "label": "step 2",
        "text": "Look",
        "command": None,
        "approvals_needed": 2,
        "approved_by": ["bob"],
    }


def test_a_page_of_runs_is_the_api_lists_json() -> None:
    page = json_ready(RunPage((RUN,), 12, 7))
    assert list(page) == ["runs", "total", "next_before"]
    assert page["runs"] == [json_ready(RUN)]
