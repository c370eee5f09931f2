"""Procedures and troubleshooting issues written as Markdown, and where they go."""

from __future__ import annotations

import re
from typing import Any

from opsbook.runbook import markdown_pieces as md
from opsbook.runbook.markdown_steps import labelled, step_list, text_list
from opsbook.runbook.model import Metric, Procedure, Runbook, TroubleshootingIssue
from opsbook.runbook.render_md_parts import parameter_item


def _after(items: tuple[Any, ...], anchor: int) -> int:
    """Return where the run of items written after the anchor line begins."""
    start = len(items)
    while anchor and start > 0 and items[start - 1].line > anchor:
        start -= 1
    return start


def split_procedures(rb: Runbook) -> tuple[tuple[Procedure, ...], tuple[Procedure, ...]]:
    """Procedures for Standard Operating Procedures, and those after the maintenance tasks.

    Line numbers (when the runbook was parsed) say which procedures sat under Maintenance;
    without them, trailing deployment procedures go there, as in the template.
    """
    procs = rb.procedures
    task_lines = [t.line for t in rb.maintenance_tasks if t.line]
    issue_lines = [i.line for i in rb.troubleshooting if i.line]
    anchor = min(task_lines) if task_lines else max(issue_lines, default=0)
    split = _after(procs, anchor) if any(p.line for p in procs) else len(procs)
    if not any(p.line for p in procs):
        while split > 0 and "deploy" in procs[split - 1].id:
            split -= 1
    return procs[:split], procs[split:]


def split_metrics(rb: Runbook) -> tuple[tuple[Metric, ...], tuple[Metric, ...]]:
    """Metrics for Quick Reference's Key Metrics, and those written under Monitoring."""
    anchors = [p.line for p in rb.procedures if p.line] + [r.line for r in rb.alert_rules if r.line]
    split = _after(rb.metrics, min(anchors, default=0))
    return rb.metrics[:split], rb.metrics[split:]


def procedure(proc: Procedure) -> str:
    """Write one procedure: heading, objective, parameters, checks, steps, rollback."""
    lead_note, labelled_notes = _split_notes(proc.notes)
    blocks = [md.heading(proc.name, 3), lead_note]
    blocks.append(md.text_part("Objective", proc.objective))
    if proc.frequency is not None:
        blocks.append(md.text_part("Frequency", proc.frequency.text))
    if proc.parameters:
        blocks.append("**Parameters**:\n" + "\n".join(parameter_item(p) for p in proc.parameters))
    blocks.append(labelled("Prerequisites", step_list(proc.prerequisites, check=True)))
    blocks.append(labelled("Steps", step_list(proc.steps)))
    blocks.append(labelled("Validation", step_list(proc.validation, check=True)))
    if proc.rollback or proc.rollback_text:
        label = "Rollback Plan" if "deploy" in proc.id else "Rollback"
        head = f"**{label}**: {proc.rollback_text}".rstrip()
        body = step_list(proc.rollback)
        blocks.append(head + (("\n" if body[:1].isdigit() else "\n\n") + body if body else ""))
    if proc.restore_test_schedule is not None:
        blocks.append(md.text_part("Restore Test Schedule", proc.restore_test_schedule.text))
    blocks.extend([labelled_notes, "---"])
    return "\n\n".join(b for b in blocks if b)


def _split_notes(notes: str) -> tuple[str, str]:
    """Split a procedure's notes into the prose under its heading and the labelled notes."""
    if md.starts_with_label(notes):
        return "", notes
    for match in re.finditer(r"\n\n(?=\*\*)", notes):
        head, tail = notes[: match.start()], notes[match.end() :]
        fences = re.findall(r"^[ \t]*(?:```|~~~)", head, re.MULTILINE)
        if md.starts_with_label(tail) and len(fences) % 2 == 0:
            return head, tail
    return notes, ""


def issue(item: TroubleshootingIssue) -> str:
    """Write one troubleshooting issue with its symptoms, diagnosis and resolution."""
    blocks = [md.heading(f"Issue: {item.title}", 4)]
    blocks.append(labelled("Symptoms", text_list(item.symptoms)))
    if item.diagnosis_notes or item.resolution_notes:
        # Notes keep their sub-headings (at level 6), so every part after them is a heading:
        # a label there would read as part of the last sub-heading.
        for label, steps, notes in (
            ("Diagnosis Steps", item.diagnosis, item.diagnosis_notes),
            ("Resolution", item.resolution, item.resolution_notes),
        ):
            body = notes or step_list(steps)
            blocks.append(f"{md.heading(label, 5)}\n\n{body}" if body else "")
        prevention = text_list(item.prevention)
        blocks.append(f"{md.heading('Prevention', 5)}\n\n{prevention}" if prevention else "")
        return "\n\n".join([*(b for b in blocks if b), "---"])
    blocks.append(labelled("Diagnosis Steps", step_list(item.diagnosis)))
    blocks.append(labelled("Resolution", step_list(item.resolution)))
    blocks.append(labelled("Prevention", text_list(item.prevention)))
    return "\n\n".join([*(b for b in blocks if b), "---"])
