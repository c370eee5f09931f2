"""Read a runbook's Markdown into a `Runbook`, collecting every problem with its line.

Headings are matched by meaning, at any level. A heading (or a bold `**Label**:`) names a
part; the part's kind decides how the blocks under it are read. Inside a procedure or a
troubleshooting issue, parts fill that procedure or issue; elsewhere they fill the runbook.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from opsbook.runbook import sections, table_rows
from opsbook.runbook.blocks import (
    Document,
    Heading,
    Part,
    demote_headings,
    label_of,
    line_of,
    read_document,
    strip_emphasis,
    walk,
)
from opsbook.runbook.commands import says_more_than_steps, steps_from_blocks
from opsbook.runbook.frontmatter import read_front_matter
from opsbook.runbook.ids import norm, procedure_id, slug
from opsbook.runbook.model import (
    AlertRule,
    ConfigFile,
    Contact,
    DisasterRecovery,
    EnvVar,
    Host,
    MaintenanceTask,
    Metric,
    Parameter,
    Procedure,
    ProcessPhase,
    ResponseTimes,
    Runbook,
    Schedule,
    Section,
    SecurityResponse,
    SeverityLevel,
    Step,
    SystemInfo,
    TroubleshootingIssue,
    UsefulCommand,
    VersionEntry,
)
from opsbook.runbook.part_names import (
    ALERT_GUIDES,
    ALERT_LISTS,
    ISSUE_PARTS,
    PROCEDURE_PARTS,
    RUNBOOK_PARTS,
)
from opsbook.runbook.problems import Problem, RunbookError, ValueProblem
from opsbook.runbook.validate import validate

if TYPE_CHECKING:
    from opsbook.runbook.blocks import Node

_RUN_PROCEDURE = re.compile(r"\brun\s+(?:the\s+)?(.+?\bprocedure)\b", re.IGNORECASE)


@dataclass
class _ProcedureDraft:
    name: str
    line: int
    objective: str = ""
    frequency: Schedule | None = None
    restore_test_schedule: Schedule | None = None
    parameters: list[Parameter] = field(default_factory=list)
    prerequisites: list[Step] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    validation: list[Step] = field(default_factory=list)
    rollback: list[Step] = field(default_factory=list)
    rollback_procedure: str | None = None
    rollback_text: str = ""
    notes: list[str] = field(default_factory=list)

    def build(self) -> Procedure:
        return Procedure(
            name=self.name,
            id=procedure_id(self.name),
            line=self.line,
            objective=self.objective,
            frequency=self.frequency,
            parameters=tuple(self.parameters),
            prerequisites=tuple(self.prerequisites),
            steps=tuple(self.steps),
            validation=tuple(self.validation),
            rollback=tuple(self.rollback),
            rollback_procedure=self.rollback_procedure,
            rollback_text=self.rollback_text,
            restore_test_schedule=self.restore_test_schedule,
            notes="\n\n".join(self.notes),
        )


@dataclass
class _IssueDraft:
    title: str
    line: int
    symptoms: list[str] = field(default_factory=list)
    diagnosis: list[Step] = field(default_factory=list)
    resolution: list[Step] = field(default_factory=list)
    prevention: list[str] = field(default_factory=list)

    notes: dict[str, list[str]] = field(default_factory=dict)

    def build(self) -> TroubleshootingIssue:
        return TroubleshootingIssue(
            title=self.title,
            id=slug(self.title),
            line=self.line,
            symptoms=tuple(self.symptoms),
            diagnosis=tuple(self.diagnosis),
            resolution=tuple(self.resolution),
            prevention=tuple(self.prevention),
            diagnosis_notes="\n\n".join(self.notes.get("diagnosis", [])),
            resolution_notes="\n\n".join(self.notes.get("resolution", [])),
        )


@dataclass
class _RunbookDraft:
    """What the runbook-level parts have filled in so far."""

    title: str = ""
    purpose: str = ""
    dashboard: str = ""
    system: SystemInfo = field(default_factory=SystemInfo)
    contacts: list[Contact] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    alert_rules: list[AlertRule] = field(default_factory=list)
    response_times: ResponseTimes = field(default_factory=ResponseTimes)
    severity_levels: list[SeverityLevel] = field(default_factory=list)
    incident_process: list[ProcessPhase] = field(default_factory=list)
    security: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    maintenance_tasks: list[MaintenanceTask] = field(default_factory=list)
    config_files: list[ConfigFile] = field(default_factory=list)
    env_vars: list[EnvVar] = field(default_factory=list)
    rto: tuple[str, float | None] = ("", None)
    rpo: tuple[str, float | None] = ("", None)
    dr_steps: list[Step] = field(default_factory=list)
    useful_commands: list[UsefulCommand] = field(default_factory=list)
    log_locations: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    version_history: list[VersionEntry] = field(default_factory=list)


class _Reader:
    """One pass over the document, filling drafts and collecting problems."""

    def __init__(self, doc: Document, path: str, title: str = "") -> None:
        self.doc = doc
        self.path = path
        self.title = title  # the front matter's, for a page whose only title is there
        self.problems: list[Problem] = []
        self.values = _RunbookDraft()
        self.procedures: list[_ProcedureDraft] = []
        self.issues: list[_IssueDraft] = []
        self.sections: list[Section] = []
        self.owner: dict[int, _ProcedureDraft | _IssueDraft] = {}
        # An issue's part written as a heading (`## Diagnosis`) and its sub-headings: the kind.
        self.part_kind: dict[int, str] = {}
        # Sections nothing else claimed, with commands in them: a manual page's procedures.
        self.unclaimed: list[tuple[Heading, Part]] = []
        self.alert_page: _IssueDraft | None = None  # a file that is one alert's runbook

    def error(self, exc: ValueProblem, line: int = 0) -> None:
        self.problems.append(Problem(exc.line or line, exc.message, exc.hint, self.path))

    def read(self) -> None:
        if self.doc.lead:
            # Text before the first heading still counts: `**Key Metrics**:` may sit there.
            self.fill_runbook(
                Heading(title="", level=0, line=1, blocks=self.doc.lead),
                Heading("", 0, 1, self.doc.lead).parts(),
            )
        self.alert_page = self.lone_alert(self.doc.headings)
        for heading in walk(self.doc.headings):
            self.read_heading(heading)
        if not self.procedures:
            self.manual_procedures()

    def manual_procedures(self) -> None:
        """Make each section no part claimed whose steps run commands a procedure.

        A page such as "Restart the search cluster" with numbered steps and shell fences is
        a procedure though no heading says so; its prose stays as the section it is.
        """
        by_heading: dict[int, tuple[Heading, list[Node]]] = {}
        for heading, part in self.unclaimed:
            by_heading.setdefault(id(heading), (heading, []))[1].extend(part.blocks)
        for heading, blocks in by_heading.values():
            problems: list[ValueProblem] = []
            steps = steps_from_blocks(blocks, problems.append)
            if not any(step.command for step in steps):
                continue
            title = strip_emphasis(heading.title)
            if not title or norm(title) in PROCEDURE_PARTS:
                title = self.values.title or self.page_title()
            name = title if norm(title).endswith("procedure") else f"{title} Procedure"
            taken = {procedure_id(p.name) for p in self.procedures}
            if procedure_id(name) in taken:
                name = f"{name} {len(self.procedures) + 1}"  # two sections of one name
            draft = _ProcedureDraft(name=name, line=heading.line, steps=steps)
            self.procedures.append(draft)
            for problem in problems:
                self.error(problem, heading.line)

    def lone_alert(self, top: list[Heading]) -> _IssueDraft | None:
        """Return the one issue of a one-alert page with no `#` title of its own.

        Such a page (`title:` in front matter, then `## Meaning`, `## Diagnosis`, ...)
        is one troubleshooting issue whose parts are its top-level sections.
        """
        if not top or any(h.level == 1 for h in top):
            return None
        kinds = {ISSUE_PARTS.get(norm(h.title)) for h in top} - {None}
        if len(kinds) < 2 and not kinds & {"diagnosis", "resolution"}:
            return None
        title = self.page_title()
        issue = _IssueDraft(title=title, line=top[0].line)
        self.issues.append(issue)
        if not self.values.title:
            self.values.title = title
        return issue

    def page_title(self) -> str:
        """Return the title of a page with no `#` title: its front matter's, or its file's."""
        return self.title or PurePath(self.path).stem.replace("-", " ").replace("_", " ")

    def read_heading(self, heading: Heading) -> None:
        title = norm(heading.title)
        parent = self.owner.get(id(heading.parent)) if heading.parent else self.alert_page
        parts = heading.parts()
        parts[0].label = heading.title
        if isinstance(parent, _ProcedureDraft) and title in PROCEDURE_PARTS:
            self.owner[id(heading)] = parent
            self.fill_procedure(parent, parts)
        elif isinstance(parent, _IssueDraft) and title in ISSUE_PARTS:
            self.owner[id(heading)] = parent
            self.part_kind[id(heading)] = ISSUE_PARTS[title]
            own, known = _issue_parts(heading)
            self.fill_issue(parent, known)
            self.fill_sub_part(parent, heading, ISSUE_PARTS[title], context="", blocks=own)
        elif (
            isinstance(parent, _IssueDraft)
            and heading.parent is not None
            and (id(heading.parent) in self.part_kind)
        ):
            kind = self.part_kind[id(heading.parent)]
            self.owner[id(heading)] = parent
            self.part_kind[id(heading)] = kind
            title = strip_emphasis(heading.title)
            self.fill_sub_part(parent, heading, kind, context=title, blocks=heading.blocks)
        elif title.endswith("procedure") and title != "procedure":
            draft = _ProcedureDraft(name=strip_emphasis(heading.title), line=heading.line)
            self.procedures.append(draft)
            self.owner[id(heading)] = draft
            parts[0].label = "steps" if _only_ordered_lists(parts[0].blocks) else ""
            self.fill_procedure(draft, parts)
        elif self.is_issue(heading, title):
            issue = _IssueDraft(title=_issue_title(heading.title), line=heading.line)
            self.issues.append(issue)
            self.owner[id(heading)] = issue
            parts[0].label = ""
            named = {norm(p.label) for p in parts} | {norm(c.title) for c in heading.children}
            if named & set(ISSUE_PARTS):
                self.fill_issue(issue, parts)
            else:
                # An alert's section that names no parts (a playbooks page): all of it is
                # what to look at, its sub-headings too; nothing in it runs a change by itself.
                self.part_kind[id(heading)] = "diagnosis"
                self.fill_sub_part(issue, heading, "diagnosis", context="", blocks=heading.blocks)
        else:
            self.fill_runbook(heading, parts)

    def is_issue(self, heading: Heading, title: str) -> bool:
        if title.startswith(("issue ", "alert name ")):
            return True
        if heading.parent is not None and norm(heading.parent.title) in ALERT_LISTS:
            # Every section is an alert, but for one that groups them (`## Alerts`, a
            # `### Group Name: x` whose sections say `Alert Name: y`).
            grouping = title in ALERT_LISTS or title.startswith("group ")
            return not grouping and not any(
                norm(c.title).startswith("alert name ") for c in heading.children
            )
        children = {norm(c.title) for c in heading.children}
        if len(children & set(ISSUE_PARTS)) >= 2:
            return True
        if heading.level == 1 and heading.children:
            # An alert's page: straight to `## Diagnosis` (or `## Fix`) under its title, or
            # its parts a level down (`## Overview`, `### What does this alert mean?`, ...).
            first = ISSUE_PARTS.get(norm(heading.children[0].title))
            near = [*heading.children, *(g for c in heading.children for g in c.children)]
            below = {ISSUE_PARTS.get(norm(h.title)) for h in near} - {None}
            # ...but not a page of several alerts, each with parts of its own.
            alerts = sum(
                1
                for c in heading.children
                if {norm(g.title) for g in c.children} & set(ISSUE_PARTS)
            )
            if first in ("diagnosis", "resolution") or (
                len(below) >= 2 and below & {"diagnosis", "resolution"} and alerts < 2
            ):
                return True
        labels = {norm(p.label) for p in heading.parts()[1:]}
        if len(labels & set(ISSUE_PARTS)) >= 2:
            return True
        under_guide = heading.parent is not None and norm(heading.parent.title) in ALERT_GUIDES
        return under_guide and bool((labels | children) & set(ISSUE_PARTS))

    def metrics(self, blocks: list[Node]) -> list[Metric]:
        found: list[Metric] = []
        for line, raw, _ in table_rows.items(blocks):
            try:
                found.append(table_rows.metric_from_item(raw, line))
            except ValueProblem as exc:
                self.error(exc, line)
        return found

    def steps(self, blocks: list[Node]) -> list[Step]:
        return steps_from_blocks(blocks, self.error)

    def fill_procedure(self, draft: _ProcedureDraft, parts: list[Part]) -> None:
        for part in parts:
            kind = PROCEDURE_PARTS.get(norm(part.label))
            text = _joined(strip_emphasis(part.inline), self.doc.source(part.blocks))
            try:
                if kind == "objective":
                    draft.objective = text
                elif kind in ("frequency", "restore_test_schedule"):
                    # `**Frequency**: Daily` then a paragraph: the label's line is the
                    # schedule, the paragraph a note (not "Daily\n\nFor SQLite...").
                    inline = strip_emphasis(part.inline)
                    setattr(draft, kind, sections.read_schedule(inline or text))
                    if inline and part.blocks:
                        self.keep_note(
                            draft, Part(label="", inline="", line=part.line, blocks=part.blocks)
                        )
                elif kind == "parameters":
                    draft.parameters.extend(sections.read_parameters(part.blocks))
                elif kind in ("prerequisites", "steps", "validation", "rollback"):
                    getattr(draft, kind).extend(self.steps(part.blocks))
                    if kind == "rollback":
                        self.rollback_reference(draft, strip_emphasis(part.inline))
                else:
                    self.keep_note(draft, part)
            except ValueProblem as exc:
                self.error(exc, part.line)

    def rollback_reference(self, draft: _ProcedureDraft, inline: str) -> None:
        draft.rollback_text = inline
        named = _RUN_PROCEDURE.search(inline)
        only = draft.rollback[0] if len(draft.rollback) == 1 else None
        if named is None and only is not None and only.manual:
            # "1. Run the Shutdown Procedure" as the one rollback step names it too.
            named = _RUN_PROCEDURE.search(only.text)
            if named:
                draft.rollback = []
                draft.rollback_text = only.text
        if named:
            draft.rollback_procedure = procedure_id(named.group(1))

    def keep_note(self, draft: _ProcedureDraft, part: Part) -> None:
        body = self.doc.source(part.blocks)
        label = f"**{part.label}**: {part.inline}".rstrip() if part.label else ""
        text = "\n\n".join(t for t in (label, body) if t)
        if text:
            draft.notes.append(text)

    def fill_issue(self, issue: _IssueDraft, parts: list[Part]) -> None:
        for part in parts:
            kind = ISSUE_PARTS.get(norm(part.label))
            if kind is not None:
                self.fill_issue_part(issue, kind, part.inline, part.blocks)
                if kind in ("diagnosis", "resolution") and says_more_than_steps(part.blocks):
                    notes = _joined(strip_emphasis(part.inline), self.doc.source(part.blocks))
                    issue.notes.setdefault(kind, []).append(notes)

    def fill_issue_part(
        self, issue: _IssueDraft, kind: str, inline: str, blocks: list[Node], context: str = ""
    ) -> None:
        if kind == "symptoms" or kind == "prevention":
            target = issue.symptoms if kind == "symptoms" else issue.prevention
            target.extend(sections.read_texts(inline, blocks, prose=True))
        elif kind in ("diagnosis", "resolution"):
            found = steps_from_blocks(blocks, self.error, context)
            (issue.diagnosis if kind == "diagnosis" else issue.resolution).extend(found)

    def fill_sub_part(
        self, issue: _IssueDraft, heading: Heading, kind: str, context: str, blocks: list[Node]
    ) -> None:
        """Read a part written as a heading, or a sub-heading under one, into its issue.

        Its own blocks are steps in order, a sub-heading naming the fences it introduces;
        a part that says more than its steps keeps its Markdown (sub-headings too) as notes.
        """
        self.fill_issue_part(issue, kind, "", blocks, context)
        if context or kind not in ("diagnosis", "resolution"):
            return  # a sub-heading's words are in its part's notes already
        if heading.children or says_more_than_steps(blocks):
            issue.notes.setdefault(kind, []).append(self.subtree_source(heading, blocks))

    def subtree_source(self, heading: Heading, blocks: list[Node]) -> str:
        """Return the Markdown under a heading, down to its last sub-heading's last line."""
        ends = [b.map[1] for b in blocks if b.map]
        for child in walk(heading.children):
            ends.append(child.line)
            ends.extend(b.map[1] for b in child.blocks if b.map)
        start = min([b.map[0] for b in blocks if b.map] + [c.line - 1 for c in heading.children])
        return demote_headings("\n".join(self.doc.lines[start : max(ends)]).strip("\n"))

    def fill_runbook(self, heading: Heading, parts: list[Part]) -> None:
        if heading.level == 1 and not self.values.title:
            self.values.title = strip_emphasis(heading.title)
            parts[0].label = ""
        for part in parts:
            kind = RUNBOOK_PARTS.get(norm(part.label))
            try:
                if kind is None:
                    self.keep_section(heading, part)
                else:
                    self.read_part(kind, part)
            except ValueProblem as exc:
                self.error(exc, part.line)

    def keep_section(self, heading: Heading, part: Part) -> None:
        body = self.doc.source(part.blocks)
        if part.label and norm(part.label) != norm(heading.title):
            body = f"**{part.label}**: {part.inline}".rstrip() + ("\n\n" + body if body else "")
        if body:
            title = strip_emphasis(heading.title)
            self.sections.append(Section(title, heading.level, body, part.line))
            self.unclaimed.append((heading, part))

    def read_part(self, kind: str, part: Part) -> None:
        blocks, draft = part.blocks, self.values
        text = _joined(strip_emphasis(part.inline), self.doc.source(blocks))
        readers: dict[str, Callable[[], object]] = {
            "purpose": lambda: text,
            "dashboard": lambda: text,
            "system": lambda: sections.read_system(blocks),
            "contacts": lambda: table_rows.contacts(blocks),
            "metrics": lambda: self.metrics(blocks),
            "alert_rules": lambda: table_rows.alert_rules(blocks, self.error),
            "response_times": lambda: sections.read_response_times(blocks, self.error),
            "severity_levels": lambda: table_rows.severity_levels(blocks, self.error),
            "incident_process": lambda: sections.read_process(blocks),
            "security": lambda: sections.read_texts("", blocks),
            "evidence": lambda: sections.read_texts("", blocks),
            "maintenance_tasks": lambda: table_rows.maintenance_tasks(blocks, self.error),
            "config_files": lambda: table_rows.config_files(blocks),
            "env_vars": lambda: table_rows.env_vars(blocks),
            "inputs": lambda: table_rows.env_vars(blocks, needed=True),
            "rto": lambda: sections.read_objective(text, "rto"),
            "rpo": lambda: sections.read_objective(text, "rpo"),
            "dr_steps": lambda: self.steps(blocks),
            "useful_commands": lambda: sections.read_useful_commands(blocks),
            "log_locations": lambda: [
                table_rows.unquote(t) for t in sections.read_texts("", blocks)
            ],
            "references": lambda: sections.read_texts("", blocks, keep_markup=True),
            "version_history": lambda: table_rows.version_history(blocks),
        }
        value = readers[kind]()
        kind = "env_vars" if kind == "inputs" else kind
        current = getattr(draft, kind)
        if isinstance(current, list) and isinstance(value, list):
            current.extend(value)
        else:
            setattr(draft, kind, value)


def _issue_parts(heading: Heading) -> tuple[list[Node], list[Part]]:
    """Split a part heading's blocks into its own and the issue parts labelled inside it.

    A bold label that names no part of an issue (`**Note**:`) is part of the text it is in.
    """
    own: list[Node] = []
    known: list[Part] = []
    for block in heading.blocks:
        label = label_of(block)
        if label is not None and norm(label[0]) in ISSUE_PARTS:
            known.append(Part(label=label[0], inline=label[1], line=line_of(block)))
        elif block.type != "hr":
            (known[-1].blocks if known else own).append(block)
    return own, known


def _only_ordered_lists(blocks: list[Node]) -> bool:
    return bool(blocks) and all(b.type == "ordered_list" for b in blocks)


def _issue_title(title: str) -> str:
    text = strip_emphasis(title)
    named = re.sub(r"^(?:issue|alert name)\s*:\s*", "", text, flags=re.IGNORECASE).strip()
    return named.strip("\"'") or text


def _joined(inline: str, body: str) -> str:
    return "\n\n".join(t for t in (inline.strip(), body.strip()) if t)


def parse_runbook(text: str, path: str = "RUNBOOK.md") -> Runbook:
    """Parse runbook Markdown into the model; raise RunbookError listing every problem."""
    doc = read_document(text.removeprefix("\ufeff"))  # a BOM would hide the front matter
    reader = _Reader(doc, path)
    try:
        settings, hosts, groups = read_front_matter(doc.front_matter, doc.front_matter_line)
    except ValueProblem as exc:
        reader.error(exc, doc.front_matter_line)
        settings, hosts, groups = {}, {}, {}
    if isinstance(settings.get("title"), str):
        reader.title = str(settings["title"]).strip()
    reader.read()
    reader.values.title = reader.values.title or reader.title
    runbook = _assemble(reader, path, settings, hosts, groups)
    problems = reader.problems + [p for p in validate(runbook) if p.message and not _warning(p)]
    if problems:
        raise RunbookError(problems)
    return runbook


def _warning(problem: Problem) -> bool:
    return problem.message.startswith("warning:")


def _assemble(
    reader: _Reader,
    path: str,
    settings: dict[str, Any],
    hosts: dict[str, Host],
    groups: dict[str, tuple[str, ...]],
) -> Runbook:
    d = reader.values
    return Runbook(
        path=path,
        title=d.title,
        purpose=d.purpose,
        settings=settings,
        system=d.system,
        contacts=tuple(d.contacts),
        hosts=hosts,
        groups=groups,
        dashboard=d.dashboard,
        procedures=tuple(p.build() for p in reader.procedures),
        metrics=tuple(d.metrics),
        alert_rules=tuple(d.alert_rules),
        response_times=d.response_times,
        troubleshooting=tuple(i.build() for i in reader.issues),
        severity_levels=tuple(d.severity_levels),
        incident_process=tuple(d.incident_process),
        security_response=SecurityResponse(steps=tuple(d.security), evidence=tuple(d.evidence)),
        maintenance_tasks=tuple(d.maintenance_tasks),
        config_files=tuple(d.config_files),
        env_vars=tuple(d.env_vars),
        disaster_recovery=DisasterRecovery(
            rto_text=d.rto[0],
            rto_seconds=d.rto[1],
            rpo_text=d.rpo[0],
            rpo_seconds=d.rpo[1],
            steps=tuple(d.dr_steps),
        ),
        useful_commands=tuple(d.useful_commands),
        log_locations=tuple(d.log_locations),
        references=tuple(d.references),
        version_history=tuple(d.version_history),
        extra_sections=tuple(reader.sections),
    )
