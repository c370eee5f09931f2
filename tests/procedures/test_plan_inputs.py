"""The plan is the one door every value goes through (CLI, API, form, resume, alerts): text a
shell cannot receive whole (NUL, lone surrogates, beyond the bound) is a plan problem."""

from __future__ import annotations

import json

import pytest

from opsbook.procedures.plan import MAX_VALUE, PlanError, build_plan
from opsbook.runbook.parser import parse_runbook

BOOK = """# Test system

## Environment Variables

| Variable | Required | Default | Description |
|---|---|---|---|
| API_URL | no | | where the API is |

## Standard Operating Procedures

### Deploy Procedure

**Parameters**:
- `VERSION` (required): release

**Steps**:
1. Show it: `echo "$VERSION $API_URL" <target>`
"""


def plan_problems(
    params: dict[str, str], environ: dict[str, str] | None = None, host: str | None = None
) -> list[str]:
    with pytest.raises(PlanError) as refused:
        build_plan(
            parse_runbook(BOOK), target="deploy", params=params, environ=environ or {}, host=host
        )
    # Every problem can go out as JSON and to a terminal: none quotes the refused text.
    json.dumps(refused.value.problems, ensure_ascii=False).encode()
    return refused.value.problems


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"VERSION": "1\0touch /tmp/pwned", "target": "x"}, "parameter VERSION contains a NUL"),
        ({"VERSION": "\ud800", "target": "x"}, "parameter VERSION is not valid Unicode"),
        ({"VERSION": "1", "target": "\udcff"}, "parameter target is not valid Unicode"),
        ({"VERSION": "1", "target": "x", "\ud800": "1"}, r"parameter name '\ud800' is not valid"),
        ({"VERSION": "1", "target": "x" * (MAX_VALUE + 1)}, "at most 16384 are accepted"),
    ],
)
def test_a_value_a_shell_cannot_receive_is_a_plan_problem(
    params: dict[str, str], said: str
) -> None:
    problems = plan_problems(params)
    assert any(said in p for p in problems), problems


def test_a_host_filter_that_is_not_text_is_a_plan_problem() -> None:
    problems = plan_problems({"VERSION": "1", "target": "x"}, host="web\0")
    assert problems == [
        "--host contains a NUL character (send valid UTF-8 text without NUL characters)"
    ]


def test_an_environment_value_that_is_not_unicode_is_a_plan_problem() -> None:
    # os.environ carries undecodable bytes as lone surrogates; the alert path plans with it.
    problems = plan_problems({"VERSION": "1", "target": "x"}, environ={"API_URL": "http://\udcff"})
    assert problems == ["environment variable API_URL is not valid Unicode (a lone surrogate)"]


def test_ordinary_text_with_quotes_newlines_and_non_ascii_is_accepted() -> None:
    value = "ü 'q' \"d\" $(id)\n\ttab ✓"
    plan = build_plan(
        parse_runbook(BOOK), target="deploy", params={"VERSION": value, "target": "x"}, environ={}
    )
    assert plan.env["VERSION"] == value
