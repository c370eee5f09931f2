"""Every section of the template, read from a runbook that fills them all in."""

from __future__ import annotations

import pytest

from opsbook.runbook.model import Attrs, Runbook, Threshold
from opsbook.runbook.parser import parse_runbook
from tests.runbook.sample import FULL


@pytest.fixture(scope="module")
def runbook() -> Runbook:
    return parse_runbook(FULL, "shop.md")


def line_of(text: str, needle: str) -> int:
    """Return the 1-based line of the first line containing needle."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_front_matter_defines_hosts_groups_and_settings(runbook: Runbook) -> None:
    assert runbook.hosts["web1"].address == "127.0.0.1"
    assert runbook.hosts["web1"].port == 2222
    assert (runbook.hosts["web2"].user, runbook.hosts["web2"].port) == ("ops", 22)
    assert runbook.groups["web"] == ("web1", "web2")
    assert runbook.settings["prometheus_url"] == "http://127.0.0.1:9090"
    assert runbook.hosts_for("all") == ("web1", "web2")


def test_system_information_and_purpose(runbook: Runbook) -> None:
    assert runbook.title == "Shop API Runbook"
    assert runbook.purpose == "Keeps the shop API running."
    assert runbook.system.name == "Shop API"
    assert runbook.system.version == "2.3.1"
    assert runbook.system.on_call == "+1 555 0100"
    assert runbook.dashboard.startswith("Grafana board")


def test_emergency_contacts_keep_role_and_backup(runbook: Runbook) -> None:
    roles = [(c.role, c.name, c.backup) for c in runbook.contacts]
    assert roles[0] == ("Primary Owner", "Ana Ruiz", "Ben Ode")
    assert roles[1] == ("Security Lead", "Chen Li", "")
    assert runbook.contacts[0].line == line_of(FULL, "| Primary Owner")


def test_procedures_are_found_wherever_they_sit(runbook: Runbook) -> None:
    assert [p.id for p in runbook.procedures] == ["startup", "shutdown", "backup", "deployment"]
    deployment = runbook.procedure("Deployment Procedure")
    assert deployment is not None and deployment.line == line_of(FULL, "### Deployment")


def test_procedure_checks_steps_and_attributes(runbook: Runbook) -> None:
    startup = runbook.procedure("startup")
    assert startup is not None
    assert startup.objective == "Start the API from a stopped state"
    config, watch = startup.prerequisites
    assert (config.text, config.command) == ("Config present", "test -f config.yml")
    assert watch.manual and watch.line == line_of(FULL, "Someone is watching")
    start, warm, tell = startup.steps
    assert start.command == "bin/shop start"
    assert start.attrs == Attrs(timeout=30, retries=2, delay=1)
    assert warm.text == "Warm caches on every web host"
    assert warm.command == "curl -fsS http://localhost/warm \\\n  --max-time 5"
    assert warm.attrs.host == "web" and warm.attrs.confirm
    assert tell.manual
    assert startup.validation[0].attrs.expect == "ok"
    assert startup.rollback_procedure == "shutdown"


def test_parameters_with_required_and_default(runbook: Runbook) -> None:
    startup = runbook.procedure("startup")
    assert startup is not None
    port, region = startup.parameters
    assert (port.name, port.required, port.default) == ("PORT", False, "8765")
    assert (region.name, region.required) == ("REGION", True)


def test_placeholders_become_parameters_to_give(runbook: Runbook) -> None:
    deployment = runbook.procedure("deployment")
    assert deployment is not None
    assert deployment.steps[0].placeholders == ("namespace",)
    assert deployment.steps[0].attrs.approvals == 2
    assert deployment.rollback[0].command == "bin/deploy --previous"


def test_frequency_and_restore_test_schedule(runbook: Runbook) -> None:
    backup = runbook.procedure("backup")
    assert backup is not None and backup.frequency is not None
    assert backup.frequency.every_seconds == 86400
    assert backup.restore_test_schedule is not None
    assert backup.restore_test_schedule.every_seconds == 30 * 86400


def test_key_metrics_and_their_sources(runbook: Runbook) -> None:
    sources = {m.name: m.source for m in runbook.metrics}
    assert sources["CPU"] == "host:cpu_percent"
    assert sources["Root disk"] == "host:disk_percent:/"
    assert sources["Error rate"] == "prom:sum(rate(http_errors_total[5m]))"
    assert sources["Latency"] == "http:http://127.0.0.1:8765/slow"
    queue = next(m for m in runbook.metrics if m.name == "Queue depth")
    assert queue.kind == "cmd" and queue.attrs.timeout == 5


def test_alert_thresholds_with_for_column_and_actions(runbook: Runbook) -> None:
    cpu, disk, vendor = runbook.alert_rules
    assert cpu.warning == Threshold(">", 80) and cpu.critical == Threshold(">=", 95)
    assert cpu.for_seconds == 300
    assert [(a.kind, a.target) for a in disk.actions] == [
        ("run", "Backup Procedure"),
        ("incident", "SEV-2"),
    ]
    assert vendor.warning is None and vendor.for_seconds == 60
    assert vendor.actions[0].kind == "text"
    assert disk.line == line_of(FULL, "| Root disk |")


def test_alert_response_times_in_seconds(runbook: Runbook) -> None:
    times = runbook.response_times
    assert (times.critical, times.high, times.medium) == (900, 3600, 14400)
    assert times.low == 86400


def test_troubleshooting_issues_in_both_styles(runbook: Runbook) -> None:
    api, disk = runbook.troubleshooting
    assert (api.id, api.title) == ("api-returns-502", "API returns 502")
    assert api.symptoms[0] == "Users see 502 errors"
    assert [s.command for s in api.diagnosis] == ["bin/shop status", "tail -n 50 var/shop.log"]
    assert api.resolution[0].command == "bin/shop restart"
    assert api.prevention == ("Add a readiness probe",)
    # Meaning / Diagnosis / Mitigation, as prometheus-operator runbooks write them.
    assert disk.symptoms == ("The disk holding data is nearly full.",)
    assert disk.diagnosis[0].command == "du -sh data/*"
    assert disk.diagnosis[0].text == "See what is big"
    assert disk.resolution[0].command == "rm -rf data/tmp/*"


def test_severity_levels_and_incident_process(runbook: Runbook) -> None:
    sev1, sev2 = runbook.severity_levels
    assert (sev1.level, sev1.response_seconds) == ("SEV-1", 900)
    assert sev2.example == "Slow checkout"
    assert runbook.incident_process[0].name == "Detect & Assess"
    assert runbook.incident_process[0].actions == ("Identify the issue", "Determine severity")


def test_security_response_and_evidence(runbook: Runbook) -> None:
    assert runbook.security_response.steps[0].startswith("DO NOT shut down")
    assert "Maintain chain of custody" in runbook.security_response.evidence


def test_maintenance_tasks_read_frequencies(runbook: Runbook) -> None:
    tasks = {t.task: t for t in runbook.maintenance_tasks}
    assert tasks["Dependency updates"].last_completed == "2026-10-01"
    assert tasks["Log rotation"].frequency is not None
    assert tasks["Log rotation"].frequency.every_seconds == 6 * 3600
    assert tasks["Cert check"].frequency is not None
    assert tasks["Cert check"].frequency.cron == "0 3 * * *"
    as_needed = tasks["Security patches"].frequency
    assert as_needed is not None and as_needed.every_seconds is None


def test_configuration_files_and_secret_env_vars(runbook: Runbook) -> None:
    assert runbook.config_files[0].location == "/etc/shop/"
    secrets = {e.name: e.secret for e in runbook.env_vars}
    assert secrets == {"SHOP_PORT": False, "SHOP_DB_PASSWORD": True, "SHOP_MODE": False}
    assert runbook.env_vars[0].required and not runbook.env_vars[2].required


def test_disaster_recovery_objectives_and_steps(runbook: Runbook) -> None:
    dr = runbook.disaster_recovery
    assert (dr.rto_seconds, dr.rpo_seconds) == (4 * 3600, 15 * 60)
    assert dr.steps[0].manual and dr.steps[1].attrs.timeout == 3600


def test_appendix_commands_logs_references_and_history(runbook: Runbook) -> None:
    names = [(c.name, c.command) for c in runbook.useful_commands]
    assert names == [
        ("Tail the log", "tail -f var/shop.log"),
        ("Restart everything", "bin/shop stop\nbin/shop start"),
    ]
    assert runbook.log_locations == ("/var/log/shop/api.log", "/var/log/shop/access.log")
    assert runbook.references == ("[Shop design doc](https://example.com/design)",)
    assert [v.version for v in runbook.version_history] == ["1.0", "1.1"]


def test_unknown_sections_keep_their_prose(runbook: Runbook) -> None:
    (notes,) = runbook.extra_sections
    assert (notes.title, notes.body) == ("On-call Notes", "Page twice before escalating.")


def test_console_fences_run_only_prompt_lines() -> None:
    text = (
        "### Fix Procedure\n\n**Steps**:\n1. Clean up\n   ```console\n"
        "   $ rm -f a \\\n   >   b\n   removed a\n   # id -u\n   0\n   ```\n"
    )
    proc = parse_runbook(text).procedures[0]
    assert proc.steps[0].command == "rm -f a \\\n  b", "`# ` is a comment among `$ ` prompts"
    root = text.replace("   $ rm -f a \\\n   >   b\n   removed a\n", "")
    assert parse_runbook(root).procedures[0].steps[0].command == "id -u"


def test_shown_fences_are_never_run() -> None:
    text = "### Look Procedure\n\n**Steps**:\n1. Query this\n   ```promql\n   up == 0\n   ```\n"
    step = parse_runbook(text).procedures[0].steps[0]
    assert step.manual and step.text == "Query this"


def test_the_template_itself_is_a_valid_runbook() -> None:
    from pathlib import Path

    template = Path(__file__).parent / "data" / "runbook-template.md"
    runbook = parse_runbook(template.read_text(), str(template))
    assert [p.id for p in runbook.procedures] == ["startup", "shutdown", "backup", "deployment"]
    assert len(runbook.severity_levels) == 4
    assert runbook.response_times.critical == 900


def test_only_the_last_code_span_is_the_command() -> None:
    text = (
        "### Keep Procedure\n\n**Steps**:\n"
        "1. Archive `var/data` into backups: `tar czf b.tgz var/data` {timeout=1m}\n"
    )
    step = parse_runbook(text).procedures[0].steps[0]
    assert step.command == "tar czf b.tgz var/data"
    assert step.text == "Archive `var/data` into backups"
    assert step.attrs.timeout == 60


def test_a_code_span_inside_the_text_is_not_a_command() -> None:
    text = "### Keep Procedure\n\n**Steps**:\n1. Look in `var/log` for errors\n"
    step = parse_runbook(text).procedures[0].steps[0]
    assert step.manual and step.text == "Look in `var/log` for errors"


def test_nested_items_with_commands_follow_their_parent() -> None:
    text = (
        "### Prep Procedure\n\n**Steps**:\n1. Prepare\n   1. Sub one: `echo a`\n"
        "   2. just a note\n2. Go: `echo b`\n"
    )
    steps = parse_runbook(text).procedures[0].steps
    assert [(s.text, s.command) for s in steps] == [
        ("Prepare", None),
        ("Sub one", "echo a"),
        ("Go", "echo b"),
    ]


def test_rollback_written_as_a_list_item_names_the_procedure() -> None:
    text = (
        "### Start Procedure\n\n**Steps**:\n1. Go: `true`\n\n**Rollback**:\n"
        "1. Run the Stop Procedure.\n\n### Stop Procedure\n\n**Steps**:\n1. Stop: `true`\n"
    )
    start = parse_runbook(text).procedures[0]
    assert start.rollback_procedure == "stop" and start.rollback == ()


def test_recovery_objectives_written_in_a_sentence() -> None:
    text = (
        "### Recovery Time Objective (RTO)\n\n<!-- how long may we be down -->\n"
        "Back within 2 hours of the decision to recover.\n\n"
        "### Recovery Point Objective (RPO)\n\n15 minutes.\n"
    )
    dr = parse_runbook(text).disaster_recovery
    assert (dr.rto_seconds, dr.rpo_seconds) == (7200, 900)


def test_recovery_objective_without_a_duration_is_kept_as_text_with_a_warning() -> None:
    from opsbook.runbook.validate import validate, warnings

    text = "# X\n\n### Recovery Time Objective (RTO)\n\nas fast as we can\n"
    runbook = parse_runbook(text)
    assert (runbook.disaster_recovery.rto_text, runbook.disaster_recovery.rto_seconds) == (
        "as fast as we can",
        None,
    )
    [warned] = warnings(validate(runbook))
    assert 'the RTO "as fast as we can" names no duration' in warned.message
