"""Readers for the runbook-level parts: system information, response times, parameters...

Each takes the blocks under one part (see `blocks.Part`) and returns model values; the
reader in `parser.py` decides which part is which.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from opsbook.runbook import table_rows
from opsbook.runbook.blocks import strip_emphasis
from opsbook.runbook.durations import parse_optional_duration, parse_schedule
from opsbook.runbook.ids import norm
from opsbook.runbook.inline_commands import split_command
from opsbook.runbook.model import (
    Parameter,
    ProcessPhase,
    ResponseTimes,
    Schedule,
    SystemInfo,
    UsefulCommand,
)
from opsbook.runbook.problems import ValueProblem

if TYPE_CHECKING:
    from opsbook.runbook.blocks import Node

_PARAMETER = re.compile(
    r"^`(?P<name>[A-Za-z_][A-Za-z0-9_]*)`\s*(?:\((?P<flags>[^)]*)\))?\s*[:\-–—]?\s*(?P<desc>.*)$"
)


def read_schedule(text: str) -> Schedule | None:
    """Read a frequency; "Monthly, into staging" keeps the text and reads the first phrase."""
    try:
        return parse_schedule(text)
    except ValueProblem:
        # "Monthly, restore into staging": the first phrase is the frequency.
        head = re.split(r"[,;(]| - | — ", text, maxsplit=1)[0]
        if head != text:
            parsed = parse_schedule(head)
            return replace(parsed, text=text) if parsed else None
        raise


def read_parameters(blocks: list[Node]) -> list[Parameter]:
    """Read `- `NAME` (required): what it is` items as procedure parameters."""
    params: list[Parameter] = []
    for line, raw, _ in table_rows.items(blocks):
        match = _PARAMETER.match(raw)
        if not match:
            raise ValueProblem(
                f'cannot read parameter "{raw}"',
                "write it as - `NAME` (required): what it is  (or `(default: x)`)",
                line=line,
            )
        flags = (match.group("flags") or "").strip()
        default = re.search(r"default\s*[:=]\s*(.+)", flags, re.IGNORECASE)
        params.append(
            Parameter(
                name=match.group("name"),
                required="required" in flags.lower(),
                description=strip_emphasis(match.group("desc")),
                default=table_rows.unquote(default.group(1)) if default else None,
                line=line,
            )
        )
    return params


def read_texts(
    inline: str, blocks: list[Node], keep_markup: bool = False, prose: bool = False
) -> list[str]:
    """Return the text of every item, paragraph (or its lines) and code line among the blocks."""
    out = [strip_emphasis(inline)] if inline.strip() else []
    for block in blocks:
        if block.type in ("bullet_list", "ordered_list"):
            out.extend(
                raw if keep_markup else strip_emphasis(raw)
                for _, raw, _ in table_rows.items([block])
            )
        elif block.type == "paragraph":
            raw = block.children[0].content if block.children else ""
            lines = [ln.strip() for ln in raw.splitlines() if ln.strip()]
            # Prose is one text however its lines wrap; a list of paths is a line each.
            out.extend([" ".join(lines)] if prose and lines else lines)
        elif block.type in ("fence", "code_block"):
            out.extend(ln.strip() for ln in block.content.splitlines() if ln.strip())
    return out


def read_system(blocks: list[Node]) -> SystemInfo:
    """Read the `**System Name**: value` items of System Information."""
    keys = {
        "system name": "name",
        "name": "name",
        "version": "version",
        "owner": "owner",
        "last updated": "last_updated",
        "on call contact": "on_call",
        "on call": "on_call",
    }
    values: dict[str, str] = {}
    for _, raw, _ in table_rows.items(blocks):
        label, _, value = strip_emphasis(raw).partition(":")
        key = keys.get(norm(label))
        if key:
            values[key] = value.strip()
    return SystemInfo(**values)


def read_response_times(blocks: list[Node], on_error: table_rows.OnError) -> ResponseTimes:
    """Read `Critical: 15 minutes` items into seconds per priority."""
    values: dict[str, float | None] = {}
    for line, raw, _ in table_rows.items(blocks):
        label, _, value = strip_emphasis(raw).partition(":")
        key = norm(label)
        if key in ("critical", "high", "medium", "low"):
            try:
                values[key] = parse_optional_duration(value)
            except ValueProblem as exc:
                exc.line = line
                on_error(exc)
    return ResponseTimes(**values)


def read_process(blocks: list[Node]) -> list[ProcessPhase]:
    """Read the incident process: numbered phases with their actions nested under them."""
    phases: list[ProcessPhase] = []
    for _, raw, item in table_rows.items(blocks):
        nested = [c for c in item.children if c.type in ("bullet_list", "ordered_list")]
        name = strip_emphasis(raw)
        phases.append(ProcessPhase(name=name, actions=tuple(read_texts("", nested))))
    return phases


_DURATION_PHRASE = re.compile(
    r"\d+(?:\.\d+)?\s*(?:ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w)\b",
    re.IGNORECASE,
)


def read_objective(text: str, kind: str) -> tuple[str, float | None]:
    """Read RTO / RPO: the first line's duration, written plainly or inside a sentence.

    A line that names no duration ("about half a day, depending on the vendor") is kept as
    text with no figure; validation warns about it, and the file is still read.
    """
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL).strip()
    first = text.splitlines()[0] if text else ""
    first = re.sub(rf"^\s*{kind}\s*[:=-]\s*", "", strip_emphasis(first), flags=re.IGNORECASE)
    try:
        return first, parse_optional_duration(first.rstrip("."))
    except ValueProblem:
        phrase = _DURATION_PHRASE.search(first)
        return first, parse_optional_duration(phrase.group(0)) if phrase else None


def read_useful_commands(blocks: list[Node]) -> list[UsefulCommand]:
    """Read named commands from fences (`# name` lines) and from `name: `cmd`` items."""
    found: list[UsefulCommand] = []
    for block in blocks:
        if block.type == "fence":
            found.extend(commands_in_fence(block.content, (block.map or (0,))[0] + 2))
        for line, raw, _ in table_rows.items([block]):
            text, command, _ = split_command(raw)
            if command:
                found.append(UsefulCommand(name=text or command, command=command, line=line))
    return found


def commands_in_fence(content: str, first_line: int) -> list[UsefulCommand]:
    """Each `# comment` names the command lines under it, as the template's `# Command 1`."""
    found: list[UsefulCommand] = []
    name, start = "", first_line
    lines: list[str] = []
    for offset, line in enumerate([*content.splitlines(), "#"]):
        if line.startswith("#"):
            if lines:
                command = "\n".join(lines)
                found.append(UsefulCommand(name=name or lines[0], command=command, line=start))
            name, start = line.lstrip("#").strip(), first_line + offset
            lines = []
        elif line.strip():
            lines.append(line.rstrip())
    return found
