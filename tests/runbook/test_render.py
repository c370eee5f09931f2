"""Rendering a runbook back: Markdown that parses to the same model, and an HTML page."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from opsbook.runbook.attributes import format_attrs, parse_attrs
from opsbook.runbook.inline_commands import split_command
from opsbook.runbook.model import Attrs, Runbook
from opsbook.runbook.parser import parse_runbook
from opsbook.runbook.problems import RunbookError
from opsbook.runbook.render_md import render_markdown
from tests.runbook.sample import FULL
from tests.runbook.strategies import part_documents, runbooks

DATA = Path(__file__).parent / "data"


def without_lines(value: Any) -> Any:
    """Return the value with every `line` (and the runbook's `path`) set to a constant."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            if f.name == "line":
                changes[f.name] = 0
            elif f.name == "path" and isinstance(value, Runbook):
                changes[f.name] = ""
            else:
                changes[f.name] = without_lines(getattr(value, f.name))
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(without_lines(v) for v in value)
    if isinstance(value, list):
        return [without_lines(v) for v in value]
    if isinstance(value, dict):
        return {k: without_lines(v) for k, v in value.items()}
    return value


def squeezed(text: str) -> str:
    """Collapse the padding that lines table columns up."""
    return re.sub(r" {2,}", " ", text)


def assert_round_trip(runbook: Runbook) -> str:
    text = render_markdown(runbook)
    again = parse_runbook(text, "rendered.md")
    expected, got = without_lines(runbook), without_lines(again)
    for f in dataclasses.fields(Runbook):
        assert getattr(got, f.name) == getattr(expected, f.name), f"{f.name} differs:\n{text}"
    assert got == expected
    return text


RICH = """\
---
hosts:
  web1: {address: 127.0.0.1, user: ops, port: 2222}
  db: 127.0.0.3
groups:
  web: [web1]
evidence_dir: /srv/evidence
---
Read this before you page anyone.

# Payments Runbook

About this runbook: it covers the payments API.

**Reviewed by**: Ana

## Overview

Payments takes card charges and writes them to PostgreSQL.

## Purpose

Keep payments up.

**Audience**: on-call engineers

## System Information

- **System Name**: Payments
- **Version**: 4.2
- **Owner**: Team Pay
- **Last Updated**: 2026-11-20
- **On-Call Contact**: +1 555 0199 (pager)

## Quick Reference

Start here when paged.

### Emergency Contacts

| Role | Name | Contact | Backup |
|------|------|---------|--------|
| Primary Owner | Ana Ruiz | ana@example.com | Ben \\| Ode |
| Security Lead | Chen Li | `chen@example.com` | Dee |

### System Status Dashboard

See https://grafana.example.com/d/pay and the status page.

## Standard Operating Procedures

Every procedure here is safe to run twice.

### Startup Procedure

Check the change calendar before starting.

**Objective**:

Start **every** payments worker

**Frequency**: Every 6 hours

**Parameters**:
- `REGION` (required, default: `eu west`): where to start
- `DRY_RUN`: print only

**Prerequisites**:
- [ ] Config present: `test -f /etc/pay.yml`
- [ ] Database up: `pg_isready -h db` {host=db timeout=5s}
- [ ] `systemctl is-active pay-db`
- [ ] A person read the **release notes**

**Steps**:
1. Restart `nginx`: `systemctl restart nginx` {host=web confirm=true}
2. Warm the caches on every web host {host=all timeout=10m}
   ```bash {retries=2 expect="ok,done"}
   curl -fsS http://localhost/warm \\
     --max-time 5
   ```
3. Print the `marker` file:
   ```sh
   cat "/tmp/`hostname`.marker"
   ```
4. Use the ``` `` ``` quoting: ``echo `date` ``
5. Tell #payments the API is up
6. Rotate logs: `logrotate -f /etc/logrotate.d/pay` {cwd="C:\\\\pay" name="rotate logs" \
continue_on_error=true parallel=2 approvals=1 delay=1.5s}

**Validation**:
- [ ] Health answers: `curl -fsS http://127.0.0.1:8080/health` {expect="^ok$"}
- [ ]
  ```bash
  test "$(cat /tmp/state)" = up
  echo checked
  ```

**Rollback**: Run the Shutdown Procedure
1. Stop it again: `systemctl stop pay`

**Owner note**: Ana knows the history.

---

### Shutdown Procedure

**Objective**: Stop payments

**Steps**:
1. Stop: `systemctl stop pay` {continue_on_error=true}

**Validation**:
- [x] Nothing listens: `! nc -z 127.0.0.1 8080`

### Monitoring & Alerting

**Key Metrics to Monitor**:
- CPU: `host:cpu_percent` - busy share of cores
- Queue: `cmd:wc -l < /var/spool/pay` {timeout=5s} — jobs waiting
- Latency p95

**Alert Thresholds**:

| Metric | Warning | Critical | For | Action | Runbook URL |
|--------|---------|----------|-----|--------|-------------|
| CPU | > 80 | >= 95.5 | 5m | notify: Primary Owner | https://x.example/cpu |
| Queue | | > 1000 | | run: Shutdown Procedure; incident: SEV-2 | |

| Metric | Warning | Critical | Action |
|--------|---------|----------|--------|
| Latency p95 | > 0.25 | | Look at the a\\|b split |

**Alert Response Time**:
- Critical: 15 minutes
- High: 1 hour
- Low: Next business day

## Troubleshooting Guide

### Common Issues

#### Issue: Card charges time out

**Symptoms**:
- Checkout spinner never ends
- Alert `PayTimeout` firing

**Diagnosis Steps**:
1. Check the pool: `psql -c 'select count(*) from pg_stat_activity'` {host=db}
2. Look at the dashboard

**Resolution**:
1. Restart the pool: `systemctl restart pgbouncer` {host=db confirm=true}

**Prevention**:
- Alert on pool saturation

### Disk full

#### Meaning

The data disk is nearly full.

#### Mitigation

```console
$ rm -rf /srv/pay/tmp/*
removed 3 files
```

### Incident Response

#### Severity Levels

| Level | Description | Response Time | Example |
|-------|-------------|---------------|---------|
| SEV-1 | Complete outage | 15 min | Payments down |
| SEV-2 | Major degradation | Next business day | Slow checkout |

#### Incident Response Process

1. **Detect & Assess**
   - Identify the issue
2. **Post-Mortem**
   - Update runbook

### Security Incident Response

**If security incident suspected**:
1. Do not shut down systems
2. Call the security lead

**Evidence Collection**:
- Store in `/evidence/`

## Maintenance Procedures

### Regular Maintenance Tasks

| Task | Frequency | Owner | Last Completed | Next Due | Notes |
|------|-----------|-------|----------------|----------|-------|
| Certificate check | 0 3 * * * | Ops | 2026-11-01 | | uses certbot |
| Dependency updates | Monthly | Ana | | 2026-12-01 | |

### Deployment Procedure

**Parameters**:
- `VERSION` (required): release to deploy

**Prerequisites**:
- [ ] Tests passing: `make test` {timeout=10m}

**Steps**:
1. Deploy <version>: `bin/deploy "$VERSION" <namespace>` {approvals=2}

**Rollback Plan**:
1. Roll back: `bin/deploy --previous`

## Configuration Management

### Configuration Files

| File | Location | Purpose | Backup |
|------|----------|---------|--------|
| pay.yml | /etc/pay/ | Main settings | Daily |

### Environment Variables

| Variable | Required | Default | Description | Secret |
|----------|----------|---------|-------------|--------|
| PAY_PORT | Yes | 8080 | Port | No |
| PAY_DB_PASSWORD | Yes | s3cr3t-default | Database password | Yes |
| STRIPE_WEBHOOK | No | whsec_example | Webhook signing secret | Yes |

## Disaster Recovery

### Recovery Time Objective (RTO)

4 hours

### Recovery Point Objective (RPO)

15 minutes

### Disaster Recovery Steps

1. Provision a new host
2. Restore the last backup: `bin/restore latest` {timeout=1h}

## Appendix

### Useful Commands

```bash
# Tail the log
tail -f /var/log/pay.log

# Restart everything
systemctl stop pay
systemctl start pay
```

- Show the `date`: ``echo `date` ``

### Log Locations

- `/var/log/pay/api.log`
- journalctl -u pay

### References

- [Design doc](https://example.com/design)

### On-call Notes

Page twice before escalating.

## Version History

| Version | Date | Author | Changes |
|---------|------|--------|---------|
| 1.0 | 2026-01-01 | Ana | Initial runbook |
"""


def test_template_round_trips() -> None:
    runbook = parse_runbook((DATA / "runbook-template.md").read_text(encoding="utf-8"))
    text = squeezed(assert_round_trip(runbook))
    assert "### Startup Procedure" in text
    assert "| SEV-1 | Critical - Complete outage | 15 min | System down |" in text


def test_full_sample_round_trips() -> None:
    assert_round_trip(parse_runbook(FULL))


def test_rich_runbook_round_trips_with_every_feature() -> None:
    runbook = parse_runbook(RICH)
    startup = runbook.procedure("startup")
    assert startup is not None and len(startup.steps) == 6  # the input really is rich
    assert startup.steps[3].command == "echo `date`"
    assert runbook.env_vars[2].secret
    text = squeezed(assert_round_trip(runbook))
    assert "| Metric | Warning | Critical | For | Action | Runbook url |" in text
    assert "| Metric | Warning | Critical | Action |" in text  # no For column: nothing holds


def test_example_runbooks_round_trip() -> None:
    examples = sorted((Path(__file__).parents[2] / "examples").glob("*/RUNBOOK.md"))
    assert examples, "the repository ships an example runbook"
    for path in examples:
        assert_round_trip(parse_runbook(path.read_text(encoding="utf-8"), str(path)))


def test_starter_runbook_round_trips() -> None:
    from opsbook.runbook.starter import starter_text

    assert_round_trip(parse_runbook(starter_text()))


def test_prose_paragraphs_after_a_label_stay_after_it() -> None:
    source = RICH.replace(
        "**Objective**: Stop payments", "**Objective**: Stop payments\n\nAll of it."
    )
    text = assert_round_trip(parse_runbook(source))
    assert "**Objective**: Stop payments\n\nAll of it." in text


def test_rendering_is_stable() -> None:
    first = render_markdown(parse_runbook(RICH))
    assert render_markdown(parse_runbook(first)) == first


def test_prose_sections_stay_under_their_headings() -> None:
    text = render_markdown(parse_runbook(RICH))
    assert text.startswith("---\n")
    assert text.index("Read this before") < text.index("# Payments Runbook")
    assert text.index("**Audience**: on-call engineers") < text.index("## System Information")
    assert text.index("Start here when paged.") < text.index("### Emergency Contacts")
    assert text.index("### On-call Notes") < text.index("## Version History")


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runbooks())
def test_any_runbook_renders_to_markdown_that_parses_back_the_same(runbook: Runbook) -> None:
    assert_round_trip(runbook)


def test_step_text_may_hold_code_spans_before_its_command() -> None:
    text, command, _ = split_command("Restart `nginx`: `systemctl restart nginx`")
    assert (text, command) == ("Restart `nginx`", "systemctl restart nginx")
    assert split_command("Print `x` then stop") == ("Print `x` then stop", None, Attrs())


def test_attribute_values_keep_commas_backslashes_and_quotes() -> None:
    attrs = Attrs(expect="a,b", cwd="C:\\app", name='say "hi"')
    assert parse_attrs(format_attrs(attrs)) == attrs
    assert parse_attrs("{host=db, timeout=5m}") == Attrs(host="db", timeout=300.0)


TRICKY = {
    "a list text that reads as a rule": "# T\n\n## Security Incident Response\n\n"
    "**Evidence Collection**:\n- Store logs\n\n--\n",
    "a title ending in #": "# ### #\n\n## Purpose\n\nKeep it up.\n",
    "a step text continued by =": "# T\n\n### Stop Procedure\n\n**Validation**:\n"
    "- [ ] Final logs captured\n=\n",
    "a step whose text is a heading line": "# T\n\n### Disk Procedure\n\n**Steps**:\n\n"
    "```bash\n#### Mitigation\nrm -rf /tmp/x\n```\n",
    "a command with backticks and attributes": "# T\n\n### Date Procedure\n\n**Steps**:\n"
    "1. Print ``echo `date` `` {timeout=5s}\n",
    "prose holding a form feed and a line separator": "# T\n\n## Overview\n\nPage one\x0c"
    "still one\u2028line\n\n1. \n\nAfter.\n",
    "code spans before the command": "# T\n\n### Web Procedure\n\n**Steps**:\n"
    "1. Restart `nginx` on `web1`: `systemctl restart nginx`\n",
}


@pytest.mark.parametrize("source", TRICKY.values(), ids=list(TRICKY))
def test_tricky_texts_round_trip(source: str) -> None:
    assert_round_trip(parse_runbook(source))


@pytest.mark.process
def test_cli_render_writes_markdown_that_checks_and_html(tmp_path: Path) -> None:
    source = tmp_path / "RUNBOOK.md"
    source.write_text(RICH, encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "NO_COLOR": "1"}
    for fmt, name in (("md", "out.md"), ("html", "out.html")):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "opsbook",
                "render",
                str(source),
                "--format",
                fmt,
                "-o",
                str(tmp_path / name),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    written = (tmp_path / "out.md").read_text(encoding="utf-8")
    assert written == render_markdown(parse_runbook(RICH))
    checked = subprocess.run(
        [sys.executable, "-m", "opsbook", "check", str(tmp_path / "out.md")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "<!DOCTYPE html>" in (tmp_path / "out.html").read_text(encoding="utf-8")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(part_documents())
def test_parts_in_any_order_and_level_with_extra_labels_round_trip(source: str) -> None:
    try:
        runbook = parse_runbook(source)
    except RunbookError:
        return  # a part repeated in a way the parser refuses; nothing to render
    assert_round_trip(runbook)
