"""Edit a runbook file in place: add a troubleshooting issue and a Version History row.

Only insertions: every byte of the file outside the new issue and the new row stays as it
was (line endings, trailing spaces, everything). The result must still parse, and it is
written atomically (a temporary file beside it, then a rename), so a crash leaves either
the old file or the new one, never half of each.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

from opsbook.runbook.ids import slug
from opsbook.runbook.parser import parse_runbook
from opsbook.runbook.problems import RunbookError


class EditRefused(Exception):
    """The edit cannot be made; the message says why and the file is unchanged."""


@dataclass(frozen=True)
class NewStep:
    text: str
    command: str | None = None


@dataclass(frozen=True)
class NewIssue:
    """A troubleshooting issue to add: the sections the template gives an issue."""

    title: str
    symptoms: tuple[str, ...] = ()
    diagnosis: tuple[NewStep, ...] = ()
    resolution: tuple[NewStep, ...] = ()
    prevention: tuple[str, ...] = ()


@dataclass(frozen=True)
class VersionRow:
    date: str
    author: str
    changes: str
    version: str | None = None  # None: the last version, bumped


@dataclass(frozen=True)
class Edit:
    """What the edit did: the inserted texts at their byte offsets of the original file."""

    path: Path
    version: str
    insertions: tuple[tuple[int, bytes], ...]


@dataclass(frozen=True)
class _Block:
    kind: str  # heading, hr, table
    level: int
    title: str
    start: int  # 0-based first line
    end: int  # 0-based line after the block


def _blocks(text: str) -> list[_Block]:
    tokens = MarkdownIt("commonmark").enable("table").use(front_matter_plugin).parse(text)
    out: list[_Block] = []
    for index, token in enumerate(tokens):
        if token.map is None or token.level != 0:
            continue
        if token.type == "heading_open":
            title = tokens[index + 1].content.strip()
            out.append(_Block("heading", int(token.tag[1]), title, *token.map))
        elif token.type in ("hr", "table_open"):
            out.append(_Block(token.type.removesuffix("_open"), 0, "", *token.map))
    return out


def _norm(title: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", title.lower()))


def _section_end(blocks: list[_Block], heading: _Block, total: int) -> int:
    following = [b for b in blocks if b.kind == "heading" and b.start > heading.start]
    return next((b.start for b in following if b.level <= heading.level), total)


def _code(command: str) -> str:
    ticks = "`" * (max((len(m) for m in re.findall(r"`+", command)), default=0) + 1)
    pad = " " if command.startswith("`") or command.endswith("`") or len(ticks) > 1 else ""
    return f"{ticks}{pad}{command}{pad}{ticks}"


def _one_line(text: str, what: str) -> str:
    cleaned = text.strip()
    if not cleaned or "\n" in cleaned or "\r" in cleaned:
        raise EditRefused(f"{what} must be one non-empty line: {text!r}")
    return cleaned


def _steps(steps: tuple[NewStep, ...], what: str) -> list[str]:
    lines = []
    for number, step in enumerate(steps, 1):
        text = _one_line(step.text, what).rstrip(":")
        if step.command is None:
            lines.append(f"{number}. {text}")
        else:
            lines.append(f"{number}. {text}: {_code(_one_line(step.command, what + ' command'))}")
    return lines


def issue_lines(issue: NewIssue, level: int) -> list[str]:
    """Return the Markdown lines of an issue, as the template writes one."""
    lines = [f"{'#' * level} Issue: {_one_line(issue.title, 'the issue title')}"]
    parts: list[tuple[str, list[str]]] = [
        ("Symptoms", [f"- {_one_line(s, 'a symptom')}" for s in issue.symptoms]),
        ("Diagnosis Steps", _steps(issue.diagnosis, "a diagnosis step")),
        ("Resolution", _steps(issue.resolution, "a resolution step")),
        ("Prevention", [f"- {_one_line(p, 'a prevention item')}" for p in issue.prevention]),
    ]
    for label, body in parts:
        if body:
            lines += ["", f"**{label}**:", *body]
    return lines


def _bump(version: str) -> str:
    match = re.search(r"(\d+)(?!.*\d)", version)
    if not match:
        return f"{version}.1" if version else "1.0"
    return version[: match.start()] + str(int(match.group(1)) + 1) + version[match.end() :]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _row_cells(line: str) -> list[str]:
    inner = line.strip().strip("|")
    return [c.strip() for c in re.split(r"(?<!\\)\|", inner)]


def plan_edit(text: str, issue: NewIssue, row: VersionRow) -> tuple[list[tuple[int, str]], str]:
    """Return the insertions (line index, text) to make, and the new version. Pure."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = re.split(r"(?<=\r\n)|(?<=\n)(?<!\r\n)|(?<=\r)(?!\n)", text)
    if lines and lines[-1] == "":
        lines.pop()
    blocks = _blocks(text)
    headings = [b for b in blocks if b.kind == "heading"]
    if any(_norm(b.title).removeprefix("issue ") == _norm(issue.title) for b in headings):
        raise EditRefused(f'the runbook already has an issue titled "{issue.title}"')
    insertions: list[tuple[int, str]] = []

    guide = next((h for h in headings if "troubleshooting" in _norm(h.title)), None)
    history = next((h for h in headings if _norm(h.title) == "version history"), None)
    if guide is None:
        at = history.start if history else len(lines)
        lead = [""] if at > 0 and lines[at - 1].strip() else []
        body = [
            *lead,
            "## Troubleshooting Guide",
            "",
            "### Common Issues",
            "",
            *issue_lines(issue, 4),
            "",
        ]
        insertions.append((at, newline.join(body) + newline))
    else:
        end = _section_end(blocks, guide, len(lines))
        inside = [h for h in headings if guide.start < h.start < end]
        issues = [h for h in inside if _norm(h.title).startswith("issue ")]
        common = next((h for h in inside if _norm(h.title) == "common issues"), None)
        if issues:
            level, after = issues[-1].level, _section_end(blocks, issues[-1], len(lines))
        elif common is not None:
            level, after = common.level + 1, _section_end(blocks, common, len(lines))
        else:
            level, after = guide.level + 1, end
        # Back up over the blank lines and `---` rules that close the last issue.
        rules = {b.start for b in blocks if b.kind == "hr"}
        while after > 0 and (not lines[after - 1].strip() or after - 1 in rules):
            after -= 1
        body = ["", *issue_lines(issue, level)]
        insertions.append((after, newline.join(body) + newline))

    if not text.endswith(("\n", "\r")) and lines:
        raise EditRefused("the file does not end with a newline; add one and try again")
    version = row.version
    if history is not None:
        hend = _section_end(blocks, history, len(lines))
        table = next(
            (b for b in blocks if b.kind == "table" and history.start < b.start < hend), None
        )
        if table is None:
            raise EditRefused("the Version History section has no table to add a row to")
        header = [_norm(c) for c in _row_cells(lines[table.start])]
        last = _row_cells(lines[table.end - 1])
        index = header.index("version") if "version" in header else 0
        previous = last[index] if table.end - table.start > 2 and index < len(last) else ""
        version = version or _bump(previous)
        values = {
            "version": version,
            "date": row.date,
            "author": row.author,
            "changes": row.changes,
        }
        cells = [_cell(values.get(name, "")) for name in header]
        insertions.append((table.end, "| " + " | ".join(cells) + " |" + newline))
    else:
        version = version or "1.0"
        table_lines = [
            "",
            "## Version History",
            "",
            "| Version | Date | Author | Changes |",
            "|---------|------|--------|---------|",
            f"| {_cell(version)} | {_cell(row.date)} | {_cell(row.author)} | "
            f"{_cell(row.changes)} |",
        ]
        insertions.append((len(lines), newline.join(table_lines) + newline))
    return insertions, version


def add_troubleshooting_issue(path: Path, issue: NewIssue, row: VersionRow) -> Edit:
    """Insert the issue and a Version History row into the runbook file, atomically."""
    original = path.read_bytes()
    bom = b"\xef\xbb\xbf" if original.startswith(b"\xef\xbb\xbf") else b""
    try:
        text = original[len(bom) :].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EditRefused(f"{path} is not UTF-8 text: {exc}") from None
    planned, version = plan_edit(text, issue, row)
    offsets = _line_offsets(original, len(bom))
    insertions = tuple((offsets[line], chunk.encode("utf-8")) for line, chunk in planned)
    updated = _insert(original, insertions)
    try:
        book = parse_runbook(updated[len(bom) :].decode("utf-8"), str(path))
    except RunbookError as exc:
        raise EditRefused(f"the edited runbook would not parse: {exc}") from None
    if book.issue(slug(issue.title)) is None and book.issue(issue.title) is None:
        raise EditRefused("the new issue was not read back from the edited runbook")
    _replace(path, original, updated)
    return Edit(path, version, insertions)


def _line_offsets(data: bytes, start: int) -> list[int]:
    offsets = [start]
    for match in re.finditer(rb"\r\n|\n|\r", data[start:]):
        offsets.append(start + match.end())
    if offsets[-1] != len(data):
        offsets.append(len(data))
    return offsets


def _insert(data: bytes, insertions: tuple[tuple[int, bytes], ...]) -> bytes:
    out, last = [], 0
    for offset, chunk in sorted(insertions, key=lambda pair: pair[0]):
        out += [data[last:offset], chunk]
        last = offset
    out.append(data[last:])
    return b"".join(out)


def _replace(path: Path, expected: bytes, updated: bytes) -> None:
    mode: Any = path.stat().st_mode & 0o7777
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(updated)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        if path.read_bytes() != expected:
            raise EditRefused(f"{path} changed while opsbook was editing it; try again")
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
