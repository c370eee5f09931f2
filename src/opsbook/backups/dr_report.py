"""A DR drill's report in Markdown: measured RTO and RPO beside the runbook's targets, and
each step's time, so the report shows where the minutes went. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from opsbook.backups.views import DrStepView
from opsbook.moments import span


def took(seconds: float) -> str:
    """Return a duration with tenths under a minute (`2.4 s`), else as `span` writes it."""
    return f"{seconds:.1f} s" if seconds < 60 else span(seconds)


def measured_against(value: float | None, target: float | None) -> str:
    """Return `4m 10s (target 15m: met)`, or says what is unknown."""
    shown = "not measured" if value is None else took(value)
    if target is None:
        return f"{shown} (the runbook states no target)"
    if value is None:
        return f"{shown} (target {span(target)})"
    verdict = "met" if value <= target else "MISSED"
    return f"{shown} (target {span(target)}: {verdict})"


def report(
    *,
    title: str,
    started_at: str,
    state: str,
    rto: float | None,
    rto_target: float | None,
    rpo: float | None,
    rpo_target: float | None,
    steps: Sequence[DrStepView],
    notes: Sequence[str],
) -> str:
    """Return the drill's report as Markdown."""
    lines = [
        f"# Disaster recovery drill: {title}",
        "",
        f"- Started: {started_at}",
        f"- Outcome: **{state}**",
        f"- RTO measured: {measured_against(rto, rto_target)}",
        f"- RPO measured: {measured_against(rpo, rpo_target)}",
        "",
        "| # | Step | Time | Outcome |",
        "|---|------|------|---------|",
    ]
    for step in steps:
        text = step.text.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {step.number} | {text} | {took(step.seconds)} | {step.outcome} |")
    if notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"
