"""The starter that `opsbook init` writes: complete, valid, and its commented examples work."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from opsbook.cli.app import app
from opsbook.runbook.parser import parse_runbook
from opsbook.runbook.starter import starter_text
from opsbook.runbook.validate import validate

TEMPLATE_SENTENCES = (
    "This runbook provides operational procedures for system management",
    "Start the system from a stopped state",
    "Gracefully stop the system",
    "Create system backup",
    "DO NOT",
    "Follow SECURITY.md procedures",
)


def test_starter_parses_with_no_problems_at_all() -> None:
    runbook = parse_runbook(starter_text(), "RUNBOOK.md")
    assert validate(runbook) == []


def test_starter_has_the_template_structure() -> None:
    runbook = parse_runbook(starter_text(), "RUNBOOK.md")
    assert [p.id for p in runbook.procedures] == ["startup", "shutdown", "backup", "deployment"]
    startup = runbook.procedure("startup")
    assert startup is not None and startup.rollback_procedure == "shutdown"
    assert all(len(p.steps) == 3 for p in runbook.procedures)
    deployment = runbook.procedure("deployment")
    assert deployment is not None and deployment.parameters[0].name == "VERSION"
    assert deployment.parameters[0].required and len(deployment.rollback) == 3
    backup = runbook.procedure("backup")
    assert backup is not None and backup.frequency is not None and backup.restore_test_schedule
    assert [c.role for c in runbook.contacts] == [
        "Primary Owner",
        "Security Lead",
        "Operations Lead",
    ]
    assert {m.kind for m in runbook.metrics} == {"host"}
    assert {r.metric for r in runbook.alert_rules} == {"CPU usage", "Disk usage", "Memory usage"}
    assert runbook.response_times.critical == 900.0 and runbook.response_times.low == 86400.0
    assert [i.id for i in runbook.troubleshooting] == ["the-service-does-not-answer"]
    assert [s.level for s in runbook.severity_levels] == ["SEV-1", "SEV-2", "SEV-3", "SEV-4"]
    assert [p.name for p in runbook.incident_process] == [
        "Detect & Assess",
        "Respond & Mitigate",
        "Resolve & Verify",
        "Post-Mortem",
    ]
    assert runbook.security_response.steps and runbook.security_response.evidence
    assert [t.task for t in runbook.maintenance_tasks] == [
        "Dependency updates",
        "Security patches",
        "Log rotation",
        "Certificate renewal",
    ]
    dr = runbook.disaster_recovery
    assert (dr.rto_seconds, dr.rpo_seconds, len(dr.steps)) == (14400.0, 86400.0, 4)
    assert [c.command for c in runbook.useful_commands] == ["df -h", "uptime"]
    assert runbook.log_locations and runbook.references and runbook.version_history
    assert runbook.dashboard and runbook.purpose


def test_starter_runs_nothing_until_someone_writes_a_command() -> None:
    runbook = parse_runbook(starter_text(), "RUNBOOK.md")
    everything = [
        *(s for p in runbook.procedures for s in (*p.prerequisites, *p.steps, *p.validation)),
        *(s for i in runbook.troubleshooting for s in (*i.diagnosis, *i.resolution)),
        *runbook.disaster_recovery.steps,
    ]
    assert everything and all(step.command is None for step in everything)


def test_starter_is_in_our_own_words() -> None:
    text = starter_text()
    for sentence in TEMPLATE_SENTENCES:
        assert sentence not in text


def commented(text: str) -> str:
    return "\n".join(re.findall(r"<!--(.*?)-->", text, re.DOTALL))


def test_commented_step_and_check_examples_parse_as_runnable() -> None:
    lines = commented(starter_text()).splitlines()
    checks = [ln for ln in lines if ln.startswith("- [ ]")]
    steps: list[str] = []
    for index, line in enumerate(lines):
        if re.match(r"\d+\. ", line):
            steps.append(line)
            steps.extend(ln for ln in lines[index + 1 : index + 4] if ln.startswith("   "))
    document = (
        "---\nhosts:\n  db1: {address: 10.0.0.21}\n---\n# Examples\n\n"
        "### Example Procedure\n\n**Prerequisites**:\n" + "\n".join(checks) + "\n\n"
        "**Steps**:\n" + "\n".join(steps) + "\n"
    )
    procedure = parse_runbook(document, "examples.md").procedures[0]
    assert len(procedure.prerequisites) == len(checks) >= 2
    assert all(check.command for check in procedure.prerequisites)
    assert len(procedure.steps) >= 6 and all(step.command for step in procedure.steps)
    attrs = [step.attrs for step in procedure.steps]
    assert any(a.timeout == 120.0 for a in attrs)
    assert any(a.retries == 5 and a.delay == 3.0 for a in attrs)
    assert any(a.host == "db1" and a.confirm for a in attrs)
    assert any(a.approvals == 1 for a in attrs)


def test_commented_metric_and_threshold_examples_parse() -> None:
    examples = commented(starter_text()).splitlines()
    metrics = [ln for ln in examples if re.match(r"- [\w ]+: `(host|http|prom|cmd):", ln)]
    rows = [ln for ln in examples if ln.startswith("| Service health")]
    document = (
        "# Examples\n\n### Key Metrics\n\n" + "\n".join(metrics) + "\n\n### Alert Thresholds\n\n"
        "| Metric | Warning | Critical | For | Action |\n|---|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n\n### Emergency Contacts\n\n| Role | Name |\n|---|---|\n"
        "| Primary Owner | Ana |\n"
    )
    runbook = parse_runbook(document, "examples.md")
    assert {m.kind for m in runbook.metrics} == {"host", "http", "prom", "cmd"}
    (rule,) = runbook.alert_rules
    assert rule.critical is not None and rule.for_seconds == 60.0
    assert {a.kind for a in rule.actions} == {"notify", "incident"}


def test_init_writes_a_runbook_that_passes_check(tmp_path: Path) -> None:
    target = tmp_path / "ops"
    runner = CliRunner()
    written = runner.invoke(app, ["init", str(target)])
    assert written.exit_code == 0, written.output
    assert (target / "RUNBOOK.md").read_text(encoding="utf-8") == starter_text()
    checked = runner.invoke(app, ["check", str(target / "RUNBOOK.md")])
    assert checked.exit_code == 0, checked.output


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    existing = tmp_path / "RUNBOOK.md"
    existing.write_text("# Ours\n", encoding="utf-8")
    runner = CliRunner()
    refused = runner.invoke(app, ["init", str(tmp_path)])
    assert refused.exit_code == 2
    assert "already exists" in refused.output
    assert existing.read_text(encoding="utf-8") == "# Ours\n"
    forced = runner.invoke(app, ["init", str(tmp_path), "--force"])
    assert forced.exit_code == 0, forced.output
    assert existing.read_text(encoding="utf-8") == starter_text()
