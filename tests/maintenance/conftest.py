"""Fixtures of the maintenance tests."""

from __future__ import annotations

# croniter asks `platform.architecture()` on import, which runs the `file` program: load
# it while collecting, so in-process tests stay in the process (tests/tiers.py).
import croniter  # noqa: F401
