"""Headings read by meaning at any depth: synonyms of an alert page's parts, sub-headings
under Diagnosis / Mitigation as steps of that part, prose kept as notes, many alerts in one
file, and a manual page with numbered steps read as a procedure."""

from __future__ import annotations

from dataclasses import replace

import pytest

from opsbook.runbook.model import Step
from opsbook.runbook.parser import parse_runbook
from opsbook.runbook.render_html import render_html
from opsbook.runbook.render_md import render_markdown
from opsbook.runbook.step_safety import Who, attendance

ALERT_PAGE = """---
title: Queue Backlog Growing
---
## Meaning

Jobs wait longer than five minutes in the queue.

## Diagnosis

Start from the worker fleet.

### Check the workers

```shell
$ systemctl status queue-worker
```

Compare the intake with the drain rate:

```promql
sum(rate(jobs_enqueued_total[5m])) - sum(rate(jobs_done_total[5m]))
```

### Read the worker log

- A stuck job shows the same id for minutes.
  - Note the id for the owners.

```
journalctl -u queue-worker --since "-15min"
```

## Mitigation

Restart the workers: `systemctl restart queue-worker`

If one job blocks the rest, hand it to the owning team.
"""


def _commands(steps: tuple[Step, ...]) -> list[str | None]:
    return [s.command for s in steps]


def test_sub_headings_under_diagnosis_are_its_steps_named_by_the_sub_heading() -> None:
    [issue] = parse_runbook(ALERT_PAGE, "queue.md").troubleshooting
    assert _commands(issue.diagnosis) == [
        "systemctl status queue-worker",
        None,
        'journalctl -u queue-worker --since "-15min"',
    ]
    assert issue.diagnosis[0].text == "Check the workers"
    assert issue.diagnosis[2].text == "Read the worker log"


def test_prose_promql_and_nested_notes_are_kept_in_the_issue() -> None:
    [issue] = parse_runbook(ALERT_PAGE, "queue.md").troubleshooting
    for words in (
        "Start from the worker fleet.",
        "sum(rate(jobs_enqueued_total[5m]))",
        "Note the id for the owners.",
        "###### Check the workers",
    ):
        assert words in issue.diagnosis_notes
    assert "hand it to the owning team" in issue.resolution_notes


def test_a_paragraph_ending_in_its_command_is_a_step() -> None:
    [issue] = parse_runbook(ALERT_PAGE, "queue.md").troubleshooting
    [restart] = issue.resolution
    assert (restart.text, restart.command) == (
        "Restart the workers",
        "systemctl restart queue-worker",
    )
    assert attendance(restart, "resolution").who is Who.ASK


def test_notes_survive_a_markdown_round_trip_and_show_in_html() -> None:
    runbook = parse_runbook(ALERT_PAGE, "queue.md")
    again = parse_runbook(render_markdown(runbook), "queue.md")
    [first], [second] = runbook.troubleshooting, again.troubleshooting
    assert replace(second, line=0, diagnosis=(), resolution=()) == replace(
        first, line=0, diagnosis=(), resolution=()
    )
    assert [replace(s, line=0) for s in second.diagnosis] == [
        replace(s, line=0) for s in first.diagnosis
    ]
    page = render_html(runbook)
    assert "jobs_enqueued_total" in page and "Note the id for the owners." in page


def test_a_template_issue_has_no_notes() -> None:
    text = (
        "## Troubleshooting Guide\n\n#### Issue: Slow pages\n\n**Symptoms**:\n- Slow\n\n"
        "**Diagnosis Steps**:\n1. Load: `uptime`\n\n**Resolution**:\n1. Restart: `true`\n"
    )
    [issue] = parse_runbook(text).troubleshooting
    assert (issue.diagnosis_notes, issue.resolution_notes) == ("", "")


@pytest.mark.parametrize(
    ("heading", "part"),
    [
        ("Investigation", "diagnosis"),
        ("Triage", "diagnosis"),
        ("Diagnostic Steps", "diagnosis"),
        ("Possible checks", "diagnosis"),
        ("Diagnosis and mitigation", "diagnosis"),
        ("Remediation", "resolution"),
        ("Resolution Steps", "resolution"),
        ("Fix", "resolution"),
        ("Mitigating", "resolution"),
        ("Verification", "resolution"),
    ],
)
def test_synonyms_of_an_alerts_parts_are_read_as_that_part(heading: str, part: str) -> None:
    text = f"# Cache Miss Storm\n\n## Symptoms\n\nMisses.\n\n## {heading}\n\n1. Look: `uptime`\n"
    [issue] = parse_runbook(text, "cache.md").troubleshooting
    assert _commands(getattr(issue, part)) == ["uptime"]


def test_a_playbooks_page_of_many_alerts_is_many_issues() -> None:
    text = """# Playbooks

## DiskAlmostFull

**Meaning**: a volume is over 85%.

**Mitigation**:
1. Free space: `journalctl --vacuum-size=200M`

## CertificateExpiring

### Diagnosis

1. Dates: `openssl x509 -noout -enddate -in /etc/ssl/site.pem`

### Fix

1. Renew: `certbot renew`

## ReplicaLagHigh

### Triage

1. Lag: `psql -c 'select now() - pg_last_xact_replay_timestamp()'`
"""
    issues = parse_runbook(text, "playbooks.md").troubleshooting
    assert [i.title for i in issues] == ["DiskAlmostFull", "CertificateExpiring", "ReplicaLagHigh"]
    assert [len(i.diagnosis) + len(i.resolution) for i in issues] == [1, 2, 1]


MANUAL_PAGE = """---
title: Rotate the API keys
---
Do this when a key may have leaked.

## Steps

1. See which keys exist:

   ```
   ./bin/keys list
   ```

2. Make the new key and retire the old one:

   ```bash
   ./bin/keys rotate --retire-old
   ```
"""


def test_a_manual_page_with_numbered_steps_is_a_procedure() -> None:
    runbook = parse_runbook(MANUAL_PAGE, "rotate-keys.md")
    [proc] = runbook.procedures
    assert (proc.id, runbook.title) == ("rotate-the-api-keys", "Rotate the API keys")
    assert _commands(proc.steps) == ["./bin/keys list", "./bin/keys rotate --retire-old"]
    # Its prose stays as the section it was.
    assert any("Make the new key" in s.body for s in runbook.extra_sections)


def test_a_manual_pages_step_after_ssh_is_for_the_person_there() -> None:
    text = "# Reload\n\n## Steps\n\n1. Connect: `ssh web-1`\n2. Reload: `sudo nginx -s reload`\n"
    [proc] = parse_runbook(text, "reload.md").procedures
    from opsbook.runbook.step_safety import attendances

    assert [a.who for a in attendances(proc.steps, "steps")] == [Who.PERSON, Who.PERSON]


def test_a_page_with_no_commands_makes_no_procedure() -> None:
    text = "# Team norms\n\n## Steps\n\n1. Be kind.\n2. Write things down.\n"
    assert parse_runbook(text, "norms.md").procedures == ()


def test_a_wrapped_paragraph_of_meaning_is_one_symptom() -> None:
    text = (
        "# Memory\n\n## Meaning\n\nThe daemons use more\nmemory than reserved.\n\n"
        "## Diagnosis\n\n1. `free -m`\n"
    )
    [issue] = parse_runbook(text, "memory.md").troubleshooting
    assert issue.symptoms == ("The daemons use more memory than reserved.",)


def test_a_paragraph_after_a_frequency_label_is_a_note_not_part_of_the_schedule() -> None:
    text = (
        "# R\n\n## Backup Procedure\n\n**Frequency**: Daily\n\n"
        "For SQLite the online backup is used.\n\n**Steps**:\n1. Go: `true`\n"
    )
    [proc] = parse_runbook(text).procedures
    assert proc.frequency is not None and proc.frequency.every_seconds == 86400
    assert proc.notes == "For SQLite the online backup is used."
