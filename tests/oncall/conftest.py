"""A runbook with a rotation: front matter `oncall:`, Emergency Contacts naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsbook.runbook.loader import load_runbook
from opsbook.runbook.model import Runbook
from tests.incidents.smtp import smtp  # noqa: F401  (a fixture: a real SMTP server)

BOOK = """---
oncall:
  ops:
    zone: Europe/Berlin
    layers:
      - name: primary
        people: [Ana Ruiz, Ben Ode <ben@example.com>, Cy Park <cy@example.com>]
        length: 1 week
        start: 2026-01-05
        handoff: "09:00"
      - name: secondary
        people: [Cy Park <cy@example.com>, Ana Ruiz, Ben Ode <ben@example.com>]
        length: 1 week
        start: 2026-01-05
        handoff: "09:00"
---

# shop Runbook

## System Information

- **System Name**: shop
- **On-Call Contact**: ops rotation

## Quick Reference

### Emergency Contacts

| Role | Name | Contact | Backup |
|------|------|---------|--------|
| Primary Owner | rotation: ops | | Sam Okafor (sam.okafor@example.com) |
| Security Lead | Priya N | priya@example.com | |
| Operations Lead | Lena Vogel | lena.vogel@example.com | |
| Ana | Ana Ruiz | ana.ruiz@example.com | |

## Version History

| Version | Date | Author | Changes |
|---------|------|--------|---------|
| 1.0 | 2026-01-01 | ana | First |
"""


@pytest.fixture
def book_path(tmp_path: Path) -> Path:
    path = tmp_path / "RUNBOOK.md"
    path.write_text(BOOK)
    return path


@pytest.fixture
def book(book_path: Path) -> Runbook:
    return load_runbook(book_path)
