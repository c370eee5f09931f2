"""A served folder of runbooks (`opsbook serve DIR`): its procedures' steps run in that folder."""

from __future__ import annotations

from pathlib import Path

from opsbook.procedures.plan import build_plan
from opsbook.runbook.loader import load_folder


def test_a_served_folders_procedure_runs_in_that_folder(tmp_path: Path) -> None:
    (tmp_path / "manual").mkdir()
    (tmp_path / "manual" / "reload.md").write_text(
        "# Reload\n\n## Steps\n\n1. Go: `nginx -s reload`\n"
    )
    runbook, _ = load_folder(tmp_path)
    plan = build_plan(runbook, target="reload", params={}, environ={})
    assert {item.cwd for item in plan.items} == {str(tmp_path.resolve())}
