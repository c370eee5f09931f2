"""`opsbook check DIR` (or several files): a repository of runbooks, a line per file.

Loaded only when `check` is given a folder or several files (cli/document.py).
"""

from __future__ import annotations

from pathlib import Path

from opsbook.cli.output import EXIT_BAD_INPUT, fail, json_data, print_json, say
from opsbook.runbook.loader import load_runbook
from opsbook.runbook.problems import RunbookError
from opsbook.runbook.repository import FileReport, report, runbook_files
from opsbook.runbook.validate import validate, warnings


def check_many(paths: list[Path], as_json: bool) -> None:
    """Read every runbook named or found under a folder; report each and a summary."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(runbook_files(path))
        elif path.is_file():
            files.append(path)
        else:
            fail(f"{path}: no such file or folder", EXIT_BAD_INPUT)
    if not files:
        fail(f"{', '.join(map(str, paths))}: holds no Markdown files (*.md) to check")
    reports: list[FileReport] = []
    for path in files:
        try:
            runbook = load_runbook(path)
        except RunbookError as exc:
            reports.append(FileReport(path=str(path), problems=tuple(map(str, exc.problems))))
            continue
        reports.append(report(runbook, warnings=len(warnings(validate(runbook)))))
    bad = [r for r in reports if r.problems]
    if as_json:
        print_json({"files": json_data(reports), "summary": _summary(reports)})
    else:
        for text, colour in map(_line, reports):
            say(text, fg=colour)
        say(_said(_summary(reports)), bold=True)
    if bad:
        raise SystemExit(EXIT_BAD_INPUT)


def _line(r: FileReport) -> tuple[str, str]:
    if r.problems:
        first = r.problems[0].splitlines()[0]
        more = f" (and {len(r.problems) - 1} more)" if len(r.problems) > 1 else ""
        return f"✗ {first}{more}", "red"
    if not r.read:
        return f"! {r.path}: nothing in it was read: no procedures, steps or issues", "yellow"
    counts = (
        f"{r.issues} issues, {r.procedures} procedures, {r.unattended} steps run by themselves, "
        f"{r.person} wait for a person, {r.parameters} parameters"
    )
    warned = f", {r.warnings} warnings" if r.warnings else ""
    return f"✓ {r.path}: {counts}{warned}", "green"


def _summary(rows: list[FileReport]) -> dict[str, int]:
    return {
        "files": len(rows),
        "unreadable": sum(1 for r in rows if r.problems),
        "nothing read": sum(1 for r in rows if not r.problems and not r.read),
        "issues": sum(r.issues for r in rows),
        "procedures": sum(r.procedures for r in rows),
        "steps run by themselves": sum(r.unattended for r in rows),
        "steps waiting for a person": sum(r.person for r in rows),
        "parameters": sum(r.parameters for r in rows),
    }


def _said(summary: dict[str, int]) -> str:
    return "; ".join(f"{n:,} {label}" for label, n in summary.items())
