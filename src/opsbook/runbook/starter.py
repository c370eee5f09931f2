"""The starter runbook that `opsbook init` writes: the template's structure, ready to fill."""

from __future__ import annotations

from importlib import resources


def starter_text() -> str:
    """Return the starter RUNBOOK.md shipped with the package."""
    return resources.files("opsbook.runbook").joinpath("starter.md").read_text(encoding="utf-8")
