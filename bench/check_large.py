"""How long `opsbook check` takes on a 5,000-line runbook (target: under 0.5 s).

Run: .venv/bin/python bench/check_large.py [--lines 5000] [--repeat 7]
Measures the whole command (process start-up included) and the parse alone.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = """---
hosts:
  web1: {address: 127.0.0.1}
  web2: {address: 127.0.0.2}
groups:
  web: [web1, web2]
---
# Big Runbook

## System Information

- **System Name**: Big
- **Version**: 1.0

## Quick Reference

### Emergency Contacts

| Role | Name | Contact | Backup |
|------|------|---------|--------|
| Primary Owner | Ana | ana@example.com | Ben |

### Key Metrics

"""


def procedure(n: int) -> str:
    return f"""### Service {n} Restart Procedure

**Objective**: Restart service {n} cleanly

**Parameters**:
- `VERSION` (required): release to run

**Prerequisites**:
- [ ] Disk has room: `test $(df --output=pcent / | tail -1 | tr -dc 0-9) -lt 95`
- [ ] Someone is on call

**Steps**:
1. Drain traffic: `curl -fsS -X POST http://127.0.0.1:8080/drain/{n}` {{timeout=30s retries=2}}
2. Restart on web hosts: `systemctl restart svc{n}` {{host=web}}
3. Check the logs by eye

**Validation**:
- [ ] Health: `curl -fsS http://127.0.0.1:8080/health/{n}` {{expect=ok}}

**Rollback**: Run the Service {n} Stop Procedure

### Service {n} Stop Procedure

**Steps**:
1. Stop: `systemctl stop svc{n}`

**Validation**:
- [ ] Stopped: `! systemctl is-active svc{n}`

"""


def issue(n: int) -> str:
    return f"""#### Issue: Service {n} is slow

**Symptoms**:
- Latency of service {n} above 2 s

**Diagnosis Steps**:
1. Look at the load: `uptime`

**Resolution**:
1. Restart it: `systemctl restart svc{n}`

"""


def make_runbook(lines: int) -> str:
    metrics = "".join(
        f"- Latency {i}: `http:http://127.0.0.1:8080/health/{i}`\n" for i in range(40)
    )
    rules = "".join(
        f"| Latency {i} | > 500 | > 2000 | 5m | notify: Primary Owner |\n" for i in range(40)
    )
    body = [HEADER, metrics, "\n## Standard Operating Procedures\n\n"]
    n = 0
    while sum(part.count("\n") for part in body) < lines * 0.7:
        body.append(procedure(n))
        n += 1
    body.append("## Monitoring\n\n**Alert Thresholds**:\n\n")
    body.append("| Metric | Warning | Critical | For | Action |\n|---|---|---|---|---|\n" + rules)
    body.append("\n## Troubleshooting Guide\n\n### Common Issues\n\n")
    i = 0
    while sum(part.count("\n") for part in body) < lines:
        body.append(issue(i))
        i += 1
    return "".join(body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    text = make_runbook(args.lines)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "RUNBOOK.md"
        path.write_text(text)
        command = [str(Path(sys.executable).parent / "opsbook"), "check", str(path)]
        subprocess.run(command, check=True, capture_output=True)
        walls = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            walls.append(time.perf_counter() - start)
        from opsbook.runbook.parser import parse_runbook

        parses = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            parse_runbook(text, str(path))
            parses.append(time.perf_counter() - start)
    print(f"runbook: {text.count(chr(10))} lines")
    print(
        f"opsbook check (whole command): median {statistics.median(walls) * 1000:.0f} ms, "
        f"max {max(walls) * 1000:.0f} ms over {args.repeat} runs"
    )
    print(f"parse + validate only:         median {statistics.median(parses) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
