"""The runbook's tables and lists written back as Markdown, one writer per section."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from opsbook.runbook import markdown_pieces as md
from opsbook.runbook.attributes import format_attrs
from opsbook.runbook.inline_commands import split_command
from opsbook.runbook.model import (
    AlertRule,
    ConfigFile,
    Contact,
    EnvVar,
    MaintenanceTask,
    Metric,
    Parameter,
    ProcessPhase,
    ResponseTimes,
    Runbook,
    SeverityLevel,
    SystemInfo,
    UsefulCommand,
    VersionEntry,
)
from opsbook.runbook.secret_names import is_secret_name
from opsbook.runbook.table_rows import unquote


def front_matter(runbook: Runbook) -> str:
    """Write hosts, groups and settings as YAML front matter ("" when there are none)."""
    data: dict[str, Any] = {}
    if runbook.hosts:
        data["hosts"] = {
            name: _host(h.address, h.user, h.port) for name, h in runbook.hosts.items()
        }
    if runbook.groups:
        data["groups"] = {name: list(members) for name, members in runbook.groups.items()}
    if not data and not runbook.settings:
        return ""
    # Hosts read best one to a line ({address: ..., user: ...}); settings as plain YAML.
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None)
    if runbook.settings:
        settings = yaml.safe_dump(runbook.settings, sort_keys=False, allow_unicode=True)
        text = (text if data else "") + settings
    return f"---\n{text}---"


def _host(address: str, user: str | None, port: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"address": address}
    if user:
        spec["user"] = user
    if port != 22:
        spec["port"] = port
    return spec


def system_items(system: SystemInfo) -> str:
    """Write System Information as `- **Label**: value` lines."""
    pairs = [
        ("System Name", system.name),
        ("Version", system.version),
        ("Owner", system.owner),
        ("Last Updated", system.last_updated),
        ("On-Call Contact", system.on_call),
    ]
    if not any(value for _, value in pairs):
        return ""
    return "\n".join(md.item("-", f"**{label}**: {value}".rstrip()) for label, value in pairs)


def _code_cell(text: str) -> str:
    """A code span for paths and names in tables, when it reads back unchanged."""
    if not text or "`" in text:
        return text
    spanned = md.code_span(text)
    return spanned if unquote(spanned) == text else text


def contacts_table(contacts: Sequence[Contact]) -> str:
    rows = [[c.role, c.name, c.contact, c.backup] for c in contacts]
    return md.table(["Role", "Name", "Contact", "Backup"], rows) if rows else ""


def metric_items(metrics: Sequence[Metric]) -> str:
    """Write Key Metrics: `- Name: \\`source\\` {attrs} — description`."""
    lines = []
    for metric in metrics:
        if not metric.source:
            lines.append(md.item("-", metric.name))
            continue
        text = f"{metric.name}: {md.code_span(metric.source)}"
        attrs = format_attrs(metric.attrs)
        text += f" {attrs}" if attrs else ""
        text += f" — {metric.description}" if metric.description else ""
        lines.append(md.item("-", text))
    return "\n".join(lines)


def _header(name: str) -> str:
    """Capitalise a kept column's lower-case name when that reads back the same."""
    shown = name[:1].upper() + name[1:]
    return shown if shown.lower() == name else name


def _runs(items: Sequence[Any]) -> list[list[Any]]:
    """Split rows into runs that share the same extra columns (one table per run)."""
    runs: list[list[Any]] = []
    for row in items:
        keys = tuple(k for k, _ in row.extra)
        if runs and tuple(k for k, _ in runs[-1][0].extra) == keys:
            runs[-1].append(row)
        else:
            runs.append([row])
    return runs


def alert_tables(rules: Sequence[AlertRule]) -> list[str]:
    """Write Alert Thresholds; the For column only when some rule holds."""
    tables = []
    for run in _runs(rules):
        held = any(r.for_seconds for r in run)
        extra = [k for k, _ in run[0].extra]
        header = ["Metric", "Warning", "Critical", *(["For"] if held else []), "Action"]
        rows = []
        for rule in run:
            hold = [_hold(rule.for_seconds)] if held else []
            row = [rule.metric, md.threshold(rule.warning), md.threshold(rule.critical), *hold]
            rows.append([*row, rule.action, *(v for _, v in rule.extra)])
        tables.append(md.table(header + [_header(k) for k in extra], rows))
    return tables


def _hold(seconds: float) -> str:
    return md.duration_words(seconds) if seconds else ""


def response_times(times: ResponseTimes) -> str:
    pairs = [
        ("Critical", times.critical),
        ("High", times.high),
        ("Medium", times.medium),
        ("Low", times.low),
    ]
    return "\n".join(f"- {k}: {md.duration_words(v)}" for k, v in pairs if v is not None)


def severity_table(levels: Sequence[SeverityLevel]) -> str:
    rows = [[s.level, s.description, s.response_text, s.example] for s in levels]
    header = ["Level", "Description", "Response Time", "Example"]
    return md.table(header, rows) if rows else ""


def incident_process(phases: Sequence[ProcessPhase]) -> str:
    """Write the process as numbered phases, each with its actions under it."""
    items = []
    for i, phase in enumerate(phases, 1):
        name = md.bolded(phase.name) or phase.name
        items.append(md.item(f"{i}.", "\n".join([name, *(f"- {a}" for a in phase.actions)])))
    return "\n\n".join(items)


def maintenance_tables(tasks: Sequence[MaintenanceTask]) -> list[str]:
    tables = []
    for run in _runs(tasks):
        extra = [k for k, _ in run[0].extra]
        header = ["Task", "Frequency", "Owner", "Last Completed", "Next Due"]
        rows = [
            [
                t.task,
                t.frequency.text if t.frequency else "",
                t.owner,
                t.last_completed,
                t.next_due,
                *(v for _, v in t.extra),
            ]
            for t in run
        ]
        tables.append(md.table(header + [_header(k) for k in extra], rows))
    return tables


def config_table(files: Sequence[ConfigFile]) -> str:
    rows = [[_code_cell(f.file), _code_cell(f.location), f.purpose, f.backup] for f in files]
    return md.table(["File", "Location", "Purpose", "Backup"], rows) if rows else ""


def env_table(variables: Sequence[EnvVar]) -> str:
    """Write Environment Variables; a Secret column when a name alone does not say so."""
    if not variables:
        return ""
    marked = any(v.secret and not is_secret_name(v.name) for v in variables)
    header = ["Variable", "Required", "Default", "Description", *(["Secret"] if marked else [])]
    rows = []
    for v in variables:
        secret = ["Yes" if v.secret else "No"] if marked else []
        required = "Yes" if v.required else "No"
        rows.append([_code_cell(v.name), required, _code_cell(v.default), v.description, *secret])
    return md.table(header, rows)


def version_table(entries: Sequence[VersionEntry]) -> str:
    rows = [[e.version, e.date, e.author, e.changes] for e in entries]
    return md.table(["Version", "Date", "Author", "Changes"], rows) if rows else ""


def parameter_item(param: Parameter) -> str:
    """Write `- \\`NAME\\` (required, default: \\`x\\`): description`."""
    flags = ["required"] if param.required else []
    if param.default is not None:
        flags.append(f"default: {md.code_span(param.default) if param.default else '` `'}")
    text = md.code_span(param.name) + (f" ({', '.join(flags)})" if flags else "")
    return md.item("-", text + (f": {param.description}" if param.description else ""))


def useful_commands(commands: Sequence[UsefulCommand]) -> list[str]:
    """Write named commands in bash fences (`# name` above each); odd ones as list items."""
    blocks: list[str] = []
    fenced: list[str] = []
    listed: list[str] = []

    def flush() -> None:
        if fenced:
            blocks.append(md.fence("\n\n".join(fenced)))
            fenced.clear()
        if listed:
            blocks.append("\n".join(listed))
            listed.clear()

    for command in commands:
        if _fits_fence(command):
            if listed:
                flush()
            fenced.append(f"# {command.name}\n{command.command}")
        else:
            if fenced:
                flush()
            listed.append(_command_item(command))
    flush()
    return blocks


def _fits_fence(command: UsefulCommand) -> bool:
    lines = command.command.split("\n")
    name = command.name
    return (
        bool(name)
        and name == name.strip()
        and "\n" not in name
        and not name.startswith("#")
        and all(ln.strip() and ln == ln.rstrip() and not ln.startswith("#") for ln in lines)
    )


def _command_item(command: UsefulCommand) -> str:
    tail = md.code_span(command.command)
    lead = tail if command.name == command.command else f"{command.name}: {tail}"
    text, found, _ = split_command(lead)
    if found != command.command or (text or found) != command.name:
        lead = f"{md.bolded(command.name) or command.name} {tail}"
    return md.item("-", lead)
