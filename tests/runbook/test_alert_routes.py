"""The `alert_routes:` front matter: read into actions by severity, or refused naming the field."""

from __future__ import annotations

import pytest

from opsbook.runbook.alert_routes import alert_routes
from opsbook.runbook.parser import parse_runbook
from opsbook.runbook.problems import RunbookError
from opsbook.runbook.validate import validate, warnings


def test_routes_are_read_as_the_actions_of_a_row() -> None:
    text = (
        "---\nalert_routes:\n  Critical: {notify: [Ana, Sam], incident: sev-2}\n"
        "  default: {notify: Ops}\n---\n# X\n"
    )
    routes = alert_routes(parse_runbook(text, "r.md").settings)
    assert list(routes) == ["critical", "default"]
    assert routes["critical"].text == "notify: Ana; notify: Sam; incident: sev-2"
    assert routes["default"].text == "notify: Ops"


def test_a_route_notifying_no_contact_is_a_warning() -> None:
    runbook = parse_runbook("---\nalert_routes: {critical: {notify: Nobody}}\n---\n# X\n", "r.md")
    [problem] = warnings(validate(runbook))
    assert 'alert_routes.critical notifies "Nobody"' in problem.message


@pytest.mark.parametrize(
    ("routes", "named"),
    [
        ("alert_routes: [critical]", "`alert_routes` must be a mapping"),
        ("alert_routes: {critical: {page: ana}}", "`alert_routes.critical`: unknown action 'page'"),
        ("alert_routes: {critical: {incident: P1}}", "`alert_routes.critical.incident`"),
        ("alert_routes: {critical: {notify: 5}}", "`alert_routes.critical.notify` must be text"),
        ('alert_routes: {"bad key!": {notify: x}}', "'bad key!' is not a severity label"),
        ("alert_routes: {critical: {run: Nope}}", "`alert_routes.critical.run` names unknown"),
    ],
)
def test_a_bad_alert_route_is_refused_naming_the_field(routes: str, named: str) -> None:
    text = f"---\n{routes}\n---\n# X\n"
    with pytest.raises(RunbookError) as caught:
        parse_runbook(text, "r.md")
    assert any(named in p.message for p in caught.value.problems), caught.value.problems
