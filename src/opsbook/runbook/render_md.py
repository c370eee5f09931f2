"""Write a `Runbook` back as Markdown, in the template's structure and order.

The key property: `parse_runbook(render_markdown(rb))` equals `rb`, line numbers aside.
Prose the parser kept as sections goes back under the heading it came from when that
heading is one the template has; other sections go before Version History.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from opsbook.runbook import markdown_pieces as md
from opsbook.runbook.ids import norm
from opsbook.runbook.markdown_steps import labelled, step_list, text_list
from opsbook.runbook.model import Runbook, Section
from opsbook.runbook.part_names import RUNBOOK_PARTS
from opsbook.runbook.render_md_parts import (
    alert_tables,
    config_table,
    contacts_table,
    env_table,
    front_matter,
    incident_process,
    maintenance_tables,
    metric_items,
    response_times,
    severity_table,
    system_items,
    useful_commands,
    version_table,
)
from opsbook.runbook.render_md_procedures import issue, procedure, split_metrics, split_procedures

# Reading these again under a second heading would overwrite them, so their sections
# must stay under the one heading that also holds their content.
_SCALAR_KINDS = {"purpose", "dashboard", "system", "response_times", "rto", "rpo"}
_CONTAINERS = {
    "quick reference": "quick_reference",
    "standard operating procedures": "sop",
    "monitoring and alerting": "monitoring",
    "monitoring": "monitoring",
    "troubleshooting guide": "guide",
    "troubleshooting": "guide",
    "common issues": "common_issues",
    "incident response": "incident_response",
    "maintenance procedures": "maintenance",
    "maintenance": "maintenance",
    "configuration management": "configuration",
    "disaster recovery": "disaster_recovery",
    "appendix": "appendix",
}

Blocks = Callable[[], list[str]]
SECURITY_LABEL = "If security incident suspected"


def _none() -> list[str]:
    return []


@dataclass
class _Slot:
    """A place in the document: a heading (or a bold label) with its content and children."""

    key: str
    title: str | None
    level: int
    content: Blocks = _none
    children: list[_Slot] = field(default_factory=list)
    label: bool = False


def render_markdown(runbook: Runbook) -> str:
    """Write the runbook as Markdown that parses back to the same model."""
    slots = _slots(runbook)
    order = [s.key for s in _walk(slots) if s.title is not None or s.key == "end"]
    placed = _place(runbook, runbook.extra_sections, order)
    blocks: list[str] = []
    front = front_matter(runbook)
    if front:
        blocks.append(front)
    writer = _Writer(runbook, placed, {s.key: s for s in _walk(slots)})
    for slot in slots:
        blocks.extend(writer.render(slot))
    return "\n\n".join(b for b in blocks if b) + "\n"


def _walk(slots: list[_Slot]) -> list[_Slot]:
    out: list[_Slot] = []
    for slot in slots:
        out.append(slot)
        out.extend(_walk(slot.children))
    return out


def _preferred(runbook: Runbook, section: Section) -> tuple[str | None, bool]:
    """Return the slot a section belongs in and whether it must go exactly there."""
    if section.level == 0:
        return "lead", True
    if section.level == 1 and section.title == runbook.title:
        return "title", True
    kind = RUNBOOK_PARTS.get(norm(section.title))
    if kind is not None:
        return kind, kind in _SCALAR_KINDS
    return _CONTAINERS.get(norm(section.title)), False


def _place(
    runbook: Runbook, sections: tuple[Section, ...], order: list[str]
) -> dict[str, list[Section]]:
    """Assign each section a slot, keeping the sections' order through the document."""
    index = {key: i for i, key in enumerate(order)}
    prefs = [_preferred(runbook, s) for s in sections]
    limit = [len(order) - 1] * len(sections)
    upcoming = len(order) - 1
    for i in range(len(sections) - 1, -1, -1):
        limit[i] = upcoming
        key, must = prefs[i]
        if must and key in index:
            upcoming = min(upcoming, index[key])
    placed: dict[str, list[Section]] = {}
    current = 0
    for i, section in enumerate(sections):
        key, must = prefs[i]
        wanted = index.get(key or "end", index["end"])
        # A free section goes before the next pinned one's slot, not into it, so that the
        # pinned section can still sit right under its heading.
        # A pinned section written out of the template's order goes where the order has got
        # to; it then repeats its heading's content, which reads back to the same value.
        slot = max(current, wanted) if must else max(current, min(wanted, limit[i] - 1))
        current = max(current, slot)
        placed.setdefault(order[slot], []).append(section)
    return placed


class _Writer:
    def __init__(
        self, runbook: Runbook, placed: dict[str, list[Section]], slots: dict[str, _Slot]
    ) -> None:
        self.runbook = runbook
        self.placed = placed
        self.slots = slots

    def preferred(self, section: Section) -> str | None:
        return _preferred(self.runbook, section)[0]

    def render(self, slot: _Slot) -> list[str]:
        own = slot.content()
        sections = self.placed.get(slot.key, [])
        kids = [b for child in slot.children for b in self.render(child)]
        if slot.title is None:
            return own + [b for s in sections for b in self.heading_and_body(s)]
        if not own and not sections and not kids and not (slot.key == "title" and slot.title):
            return []
        title, level = slot.title, slot.level
        first_is_own = bool(sections) and self.preferred(sections[0]) == slot.key
        if first_is_own:
            title, level = sections[0].title, sections[0].level
        out: list[str] = []
        if slot.label and not first_is_own:
            out.extend([labelled(title, own[0]), *own[1:]] if own else [])
        else:
            out.append(md.heading(title, level))
            out.extend(own)
        current = (title, level)
        for i, section in enumerate(sections):
            joins = (section.title, section.level) == current and (
                (i == 0 and first_is_own) or md.starts_with_label(section.body)
            )
            if joins and self.preferred(section) == slot.key:
                out.append(section.body)
                continue
            out.extend(self.heading_and_body(section))
            current = (section.title, section.level)
        return out + kids

    def heading_and_body(self, section: Section) -> list[str]:
        kind = RUNBOOK_PARTS.get(norm(section.title))
        # Read under a second heading, a single value would be overwritten: write it again.
        again = self.slots[kind].content() if kind in _SCALAR_KINDS else []
        return [md.heading(section.title, section.level), *again, section.body]


def _slots(rb: Runbook) -> list[_Slot]:
    sops, deploys = split_procedures(rb)
    quick, monitored = split_metrics(rb)
    sr, dr = rb.security_response, rb.disaster_recovery

    def const(*blocks: str) -> Blocks:
        return lambda: [b for b in blocks if b]

    def slot(key: str, title: str, level: int, *blocks: str, label: bool = False) -> _Slot:
        return _Slot(key, title, level, const(*blocks), label=label)

    def group(key: str, title: str, level: int, *children: _Slot) -> _Slot:
        return _Slot(key, title, level, children=list(children))

    def chunk(key: str, *blocks: str) -> _Slot:
        return _Slot(key, None, 0, const(*blocks))

    return [
        _Slot("lead", "", 0),
        slot("title", rb.title, 1),
        slot("purpose", "Purpose", 2, rb.purpose),
        slot("system", "System Information", 2, system_items(rb.system)),
        group(
            "quick_reference",
            "Quick Reference",
            2,
            slot("contacts", "Emergency Contacts", 3, contacts_table(rb.contacts)),
            slot("dashboard", "System Status Dashboard", 3, rb.dashboard),
            slot("metrics", "Key Metrics", 3, metric_items(quick)),
        ),
        group(
            "sop",
            "Standard Operating Procedures",
            2,
            chunk("procedures", *(procedure(p) for p in sops)),
            group(
                "monitoring",
                "Monitoring & Alerting",
                3,
                slot(
                    "monitored_metrics",
                    "Key Metrics to Monitor",
                    4,
                    metric_items(monitored),
                    label=True,
                ),
                slot(
                    "alert_rules", "Alert Thresholds", 4, *alert_tables(rb.alert_rules), label=True
                ),
                slot(
                    "response_times",
                    "Alert Response Time",
                    4,
                    response_times(rb.response_times),
                    label=True,
                ),
            ),
        ),
        group(
            "guide",
            "Troubleshooting Guide",
            2,
            group(
                "common_issues",
                "Common Issues",
                3,
                chunk("issues", *(issue(i) for i in rb.troubleshooting)),
            ),
            group(
                "incident_response",
                "Incident Response",
                3,
                slot("severity_levels", "Severity Levels", 4, severity_table(rb.severity_levels)),
                slot(
                    "incident_process",
                    "Incident Response Process",
                    4,
                    incident_process(rb.incident_process),
                ),
            ),
            _Slot(
                "security",
                "Security Incident Response",
                3,
                const(labelled(SECURITY_LABEL, text_list(sr.steps, ordered=True))),
                children=[
                    slot("evidence", "Evidence Collection", 4, text_list(sr.evidence), label=True)
                ],
            ),
        ),
        group(
            "maintenance",
            "Maintenance Procedures",
            2,
            slot(
                "maintenance_tasks",
                "Regular Maintenance Tasks",
                3,
                *maintenance_tables(rb.maintenance_tasks),
            ),
            chunk("deployments", *(procedure(p) for p in deploys)),
        ),
        group(
            "configuration",
            "Configuration Management",
            2,
            slot("config_files", "Configuration Files", 3, config_table(rb.config_files)),
            slot("env_vars", "Environment Variables", 3, env_table(rb.env_vars)),
        ),
        group(
            "disaster_recovery",
            "Disaster Recovery",
            2,
            slot("rto", "Recovery Time Objective (RTO)", 3, dr.rto_text),
            slot("rpo", "Recovery Point Objective (RPO)", 3, dr.rpo_text),
            slot("dr_steps", "Disaster Recovery Steps", 3, step_list(dr.steps)),
        ),
        group(
            "appendix",
            "Appendix",
            2,
            slot("useful_commands", "Useful Commands", 3, *useful_commands(rb.useful_commands)),
            slot("log_locations", "Log Locations", 3, text_list(rb.log_locations, unquoted=True)),
            slot("references", "References", 3, text_list(rb.references, keep_markup=True)),
        ),
        _Slot("end", None, 0),
        slot("version_history", "Version History", 2, version_table(rb.version_history)),
    ]
