"""The runbook's tables and lists read into model rows: contacts, thresholds, severity..."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, cast

from opsbook.runbook.attributes import parse_attrs
from opsbook.runbook.blocks import (
    cells_by_header,
    item_lead,
    list_items,
    strip_emphasis,
    table_rows,
)
from opsbook.runbook.durations import parse_duration, parse_optional_duration, parse_schedule
from opsbook.runbook.ids import slug
from opsbook.runbook.model import (
    Action,
    ActionKind,
    AlertRule,
    Attrs,
    ConfigFile,
    Contact,
    EnvVar,
    MaintenanceTask,
    Metric,
    Op,
    SeverityLevel,
    Threshold,
    VersionEntry,
)
from opsbook.runbook.problems import ValueProblem
from opsbook.runbook.secret_names import is_secret_name

if TYPE_CHECKING:
    from opsbook.runbook.blocks import Node

OnError = Callable[[ValueProblem], None]
METRIC_KINDS = ("host", "http", "prom", "cmd")
_THRESHOLD = re.compile(r"^(>=|<=|==|!=|>|<|=)\s*(-?\d+(?:\.\d+)?)\s*(%|[a-zA-Z/]+)?$")
_CODE = re.compile(r"(`+)(.+?)\1")
_ACTION = re.compile(r"^(run|notify|page|incident)\s*:\s*(.+)$", re.IGNORECASE)
# `**CPU usage**: what it measures — ` before a metric's source: the bold text is the name.
_BOLD_NAME = re.compile(r"\s*(\*\*|__)(.+?)\1")
_DASHES = ":-–— "


def rows(blocks: list[Node]) -> Iterator[tuple[int, dict[str, str], list[str]]]:
    """Yield (line, cells by lower-case header, header) for each row of each table."""
    for block in blocks:
        if block.type == "table":
            header, body = table_rows(block)
            for line, cells in body:
                if any(c.strip() for c in cells):
                    yield line, cells_by_header(header, cells), header


def pick(cells: dict[str, str], *names: str) -> str:
    """Return the first non-missing column among the names, without code-span backticks."""
    for name in names:
        if name in cells:
            return unquote(cells[name])
    return ""


def unquote(text: str) -> str:
    """Drop surrounding code-span backticks and emphasis: `` `x` `` → `x`."""
    text = strip_emphasis(text.strip())
    match = _CODE.fullmatch(text)
    return match.group(2).strip() if match else text


def extras(cells: dict[str, str], known: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Keep the columns a table has beyond the ones opsbook reads."""
    return tuple((k, v) for k, v in cells.items() if k not in known and k)


def items(blocks: list[Node]) -> Iterator[tuple[int, str, Node]]:
    """Yield (line, inline Markdown, item) of every list item, skipping empty ones."""
    for block in blocks:
        for item in list_items(block):
            raw, line = item_lead(item)
            if raw.strip():
                yield line, raw.strip(), item


def contacts(blocks: list[Node]) -> list[Contact]:
    return [
        Contact(
            role=pick(c, "role"),
            name=pick(c, "name"),
            contact=pick(c, "contact", "phone", "email"),
            backup=pick(c, "backup"),
            line=line,
        )
        for line, c, _ in rows(blocks)
        if pick(c, "role")
    ]


def metric_from_item(raw: str, line: int) -> Metric:
    """Read `CPU usage: \\`host:cpu_percent\\` — description` as a metric."""
    for match in _CODE.finditer(raw):
        code = match.group(2).strip()
        if code.split(":", 1)[0] in METRIC_KINDS and ":" in code:
            name, before = _metric_name(raw[: match.start()])
            rest = strip_emphasis(raw[match.end() :]).strip()
            attrs = Attrs()
            if rest.startswith("{"):
                end = rest.find("}") + 1
                attrs, rest = parse_attrs(rest[:end]), rest[end:]
            desc = " ".join(p for p in (before, rest.strip().lstrip(_DASHES).strip()) if p)
            name = name or code.split(":", 1)[1]
            return Metric(
                name=name, source=code, id=slug(name), description=desc, line=line, attrs=attrs
            )
    name = strip_emphasis(raw).strip()
    return Metric(name=name, source="", id=slug(name), line=line)


def _metric_name(head: str) -> tuple[str, str]:
    """Split what precedes a metric's source into its name and the description written there.

    `**CPU usage**: share of CPU in use — ` names `CPU usage`, described after the colon;
    without a bold name the whole text is the name (`CPU usage: `).
    """
    bold = _BOLD_NAME.match(head)
    if bold is not None:
        before = strip_emphasis(head[bold.end() :]).strip(_DASHES).strip()
        return strip_emphasis(bold.group(2)).strip().rstrip(":").strip(), before
    return strip_emphasis(head).strip().rstrip(_DASHES).strip(), ""


def threshold(text: str) -> Threshold | None:
    """Read `> 80`, `>= 0.95` or `< 10%`; blank or `-` gives None."""
    raw = unquote(text)
    if raw in ("", "-", "—", "n/a", "N/A"):
        return None
    match = _THRESHOLD.match(raw)
    if not match:
        raise ValueProblem(
            f'threshold "{raw}" is not a comparison with a number',
            "write it like `> 80`, `>= 0.95` or `< 10`",
        )
    op = "==" if match.group(1) == "=" else match.group(1)
    return Threshold(op=cast(Op, op), value=float(match.group(2)))


def actions(text: str) -> tuple[Action, ...]:
    """Split the Action column into run / notify / incident actions and text for people."""
    out: list[Action] = []
    for piece in re.split(r"\s*[;,]\s*|\s+and\s+", strip_emphasis(text)):
        piece = unquote(piece)
        if not piece:
            continue
        match = _ACTION.match(piece)
        if match:
            kind = match.group(1).lower()
            kind = "notify" if kind == "page" else kind
            out.append(Action(kind=cast(ActionKind, kind), target=match.group(2).strip()))
        else:
            out.append(Action(kind="text", target=piece))
    return tuple(out)


def alert_rules(blocks: list[Node], on_error: OnError) -> list[AlertRule]:
    rules: list[AlertRule] = []
    known = ("metric", "warning", "critical", "action", "for", "duration", "hold")
    for line, cells, _ in rows(blocks):
        metric = pick(cells, "metric")
        if not metric:
            continue
        try:
            warning = threshold(cells.get("warning", ""))
            critical = threshold(cells.get("critical", ""))
            hold = pick(cells, "for", "duration", "hold")
            for_seconds = parse_duration(hold) if hold and hold != "-" else 0.0
        except ValueProblem as exc:
            exc.line = line
            on_error(exc)
            continue
        action = strip_emphasis(cells.get("action", "").strip())
        rules.append(
            AlertRule(
                metric=metric,
                warning=warning,
                critical=critical,
                action=action,
                actions=actions(action),
                for_seconds=for_seconds,
                line=line,
                extra=extras(cells, known),
            )
        )
    return rules


def severity_levels(blocks: list[Node], on_error: OnError) -> list[SeverityLevel]:
    levels: list[SeverityLevel] = []
    for line, cells, _ in rows(blocks):
        response = pick(cells, "response time", "response")
        try:
            seconds = parse_optional_duration(response)
        except ValueProblem as exc:
            exc.line = line
            on_error(exc)
            continue
        levels.append(
            SeverityLevel(
                level=pick(cells, "level", "severity"),
                description=pick(cells, "description"),
                response_seconds=seconds,
                example=pick(cells, "example"),
                response_text=response,
            )
        )
    return levels


def maintenance_tasks(blocks: list[Node], on_error: OnError) -> list[MaintenanceTask]:
    tasks: list[MaintenanceTask] = []
    known = ("task", "frequency", "owner", "last completed", "next due")
    for line, cells, _ in rows(blocks):
        try:
            schedule = parse_schedule(pick(cells, "frequency"))
        except ValueProblem as exc:
            exc.line = line
            on_error(exc)
            continue
        tasks.append(
            MaintenanceTask(
                task=pick(cells, "task"),
                frequency=schedule,
                owner=pick(cells, "owner"),
                last_completed=pick(cells, "last completed"),
                next_due=pick(cells, "next due"),
                line=line,
                extra=extras(cells, known),
            )
        )
    return tasks


def config_files(blocks: list[Node]) -> list[ConfigFile]:
    return [
        ConfigFile(
            file=pick(c, "file"),
            location=pick(c, "location"),
            purpose=pick(c, "purpose"),
            backup=pick(c, "backup"),
            line=line,
        )
        for line, c, _ in rows(blocks)
        if pick(c, "file")
    ]


def env_vars(blocks: list[Node], *, needed: bool = False) -> list[EnvVar]:
    """Read a variables table; `needed`: an Input table, whose rows without a default or a
    Required column must be given (a command must not run with them empty)."""
    out: list[EnvVar] = []
    for line, cells, _ in rows(blocks):
        name = pick(cells, "variable", "name", "parameter", "input")
        if not name:
            continue
        secret_cell = pick(cells, "secret", "sensitive").lower()
        required = pick(cells, "required").lower() in ("yes", "y", "true", "required")
        if needed and "required" not in cells:
            required = not pick(cells, "default")
        out.append(
            EnvVar(
                name=name,
                required=required,
                default=pick(cells, "default"),
                description=pick(cells, "description"),
                secret=secret_cell in ("yes", "y", "true") or is_secret_name(name),
                line=line,
            )
        )
    return out


def version_history(blocks: list[Node]) -> list[VersionEntry]:
    return [
        VersionEntry(
            version=pick(c, "version"),
            date=pick(c, "date"),
            author=pick(c, "author"),
            changes=pick(c, "changes"),
        )
        for _, c, _ in rows(blocks)
    ]
