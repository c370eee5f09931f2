"""Edit cells of one table row in place, with a Version History row (the in-place editor's way).

Only the named cells' text changes: every other byte of the file stays as it was. An edit
is refused, never merged, when a person may have a change opsbook would overwrite: a cell
that no longer says what opsbook read, an editor's lock or swap file beside the runbook
(Emacs `.#NAME`, Vim `.NAME.swp`), or a file that changed while opsbook wrote it. The
result must still parse, and is written atomically (editor.py's `_replace`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from pathlib import Path

from opsbook.runbook.editor import (
    Edit,
    EditRefused,
    VersionRow,
    _Block,
    _blocks,
    _bump,
    _cell,
    _norm,
    _replace,
    _row_cells,
    _section_end,
)
from opsbook.runbook.parser import parse_runbook
from opsbook.runbook.problems import RunbookError

_LINES = re.compile(r"(?<=\r\n)|(?<=\n)(?<!\r\n)|(?<=\r)(?!\n)")


def unsaved_change(path: Path) -> Path | None:
    """Return an editor's lock or swap file that says a person has the runbook open."""
    for name in (f".#{path.name}", f".{path.name}.swp", f".{path.name}.swo"):
        candidate = path.parent / name
        if candidate.is_symlink() or candidate.exists():
            return candidate
    return None


def set_row_cells(
    path: Path,
    *,
    section: str,
    key_column: str,
    key: str,
    values: Mapping[str, str],
    expected: Mapping[str, str],
    row: VersionRow,
) -> Edit:
    """Set cells of the row whose `key_column` is `key`, in the first table of `section`."""
    original, bom, text, lines = _open_for_edit(path)
    newline = "\r\n" if "\r\n" in text else "\n"
    blocks = _blocks(text)
    at, header = _find_row(lines, blocks, section, key_column, key)
    lines[at] = _with_cells(lines[at], header, values, expected, key)
    version = _add_version_row(lines, blocks, row, newline)
    updated = bom + "".join(lines).encode("utf-8")
    try:
        parse_runbook(updated[len(bom) :].decode("utf-8"), str(path))
    except RunbookError as exc:
        raise EditRefused(f"the edited runbook would not parse: {exc}") from None
    _replace(path, original, updated)
    return Edit(path, version, ())


def _find_row(
    lines: list[str], blocks: list[_Block], section: str, key_column: str, key: str
) -> tuple[int, list[str]]:
    headings = [b for b in blocks if b.kind == "heading"]
    heading = next((h for h in headings if _norm(h.title) == _norm(section)), None)
    if heading is None:
        raise EditRefused(f'the runbook has no "{section}" section')
    end = _section_end(blocks, heading, len(lines))
    table = next((b for b in blocks if b.kind == "table" and heading.start < b.start < end), None)
    if table is None:
        raise EditRefused(f'the "{section}" section has no table')
    header = [_norm(c) for c in _row_cells(lines[table.start])]
    if _norm(key_column) not in header:
        raise EditRefused(f'the "{section}" table has no {key_column} column')
    index = header.index(_norm(key_column))
    for number in range(table.start + 2, table.end):
        cells = _row_cells(lines[number])
        if index < len(cells) and _norm(cells[index].strip("`")) == _norm(key):
            return number, header
    raise EditRefused(f'the "{section}" table has no row "{key}"')


def _spans(line: str) -> list[tuple[int, int]]:
    """Return the (start, end) of each cell's text between the row's pipes."""
    pipes = [m.start() for m in re.finditer(r"(?<!\\)\|", line)]
    body = line.rstrip("\r\n")
    if not body.lstrip().startswith("|"):
        pipes.insert(0, -1)
    if not body.rstrip().endswith("|"):
        pipes.append(len(body))
    return [(a + 1, b) for a, b in itertools.pairwise(pipes)]


def _with_cells(
    line: str, header: list[str], values: Mapping[str, str], expected: Mapping[str, str], key: str
) -> str:
    spans = _spans(line)
    changes: list[tuple[int, int, str]] = []
    for column, value in values.items():
        name = _norm(column)
        if name not in header or header.index(name) >= len(spans):
            raise EditRefused(f'the row "{key}" has no {column} cell')
        start, end = spans[header.index(name)]
        now = line[start:end].strip()
        if column in expected and now != expected[column].strip():
            raise EditRefused(
                f'the {column} cell of "{key}" says "{now}", not "{expected[column]}" as opsbook '
                "read it: a person changed it; not overwritten"
            )
        changes.append((start, end, f" {_cell(value)} " if value else " "))
    for start, end, text in sorted(changes, reverse=True):
        line = line[:start] + text + line[end:]
    return line


def _add_version_row(lines: list[str], blocks: list[_Block], row: VersionRow, newline: str) -> str:
    history = next(
        (b for b in blocks if b.kind == "heading" and _norm(b.title) == "version history"), None
    )
    if history is None:
        version = row.version or "1.0"
        lines += [
            newline,
            f"## Version History{newline}",
            newline,
            f"| Version | Date | Author | Changes |{newline}",
            f"|---------|------|--------|---------|{newline}",
            f"| {_cell(version)} | {_cell(row.date)} | {_cell(row.author)} | "
            f"{_cell(row.changes)} |{newline}",
        ]
        return version
    end = _section_end(blocks, history, len(lines))
    table = next((b for b in blocks if b.kind == "table" and history.start < b.start < end), None)
    if table is None:
        raise EditRefused("the Version History section has no table to add a row to")
    header = [_norm(c) for c in _row_cells(lines[table.start])]
    last = _row_cells(lines[table.end - 1])
    index = header.index("version") if "version" in header else 0
    previous = last[index] if table.end - table.start > 2 and index < len(last) else ""
    version = row.version or _bump(previous)
    values = {"version": version, "date": row.date, "author": row.author, "changes": row.changes}
    cells = [_cell(values.get(name, "")) for name in header]
    lines.insert(table.end, "| " + " | ".join(cells) + " |" + newline)
    return version


def insert_lines(
    path: Path, *, after: int, expected: str, new_lines: list[str], row: VersionRow
) -> Edit:
    """Insert lines after line `after` (1-based; it must still read `expected`), with a
    Version History row; refused as `set_row_cells` refuses."""
    original, bom, text, lines = _open_for_edit(path)
    if not 0 < after <= len(lines) or lines[after - 1].rstrip("\r\n") != expected:
        raise EditRefused(f"line {after} is no longer what opsbook read; a person changed it")
    newline = "\r\n" if "\r\n" in text else "\n"
    # The Version History row first: it comes after the insertion, whose lines would
    # shift the blocks found in the text as read.
    version = _add_version_row(lines, _blocks(text), row, newline)
    lines[after:after] = [line + newline for line in new_lines]
    updated = bom + "".join(lines).encode("utf-8")
    try:
        parse_runbook(updated[len(bom) :].decode("utf-8"), str(path))
    except RunbookError as exc:
        raise EditRefused(f"the edited runbook would not parse: {exc}") from None
    _replace(path, original, updated)
    return Edit(path, version, ())


def _open_for_edit(path: Path) -> tuple[bytes, bytes, str, list[str]]:
    """Read a runbook to edit: its bytes, BOM, text and lines; EditRefused when a person has
    it open with unsaved changes, or it is not UTF-8 text ending in a newline."""
    lock = unsaved_change(path)
    if lock is not None:
        raise EditRefused(
            f"{path} has unsaved changes in an editor ({lock.name} exists); "
            "save or close it, then try again"
        )
    original = path.read_bytes()
    bom = b"\xef\xbb\xbf" if original.startswith(b"\xef\xbb\xbf") else b""
    try:
        text = original[len(bom) :].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EditRefused(f"{path} is not UTF-8 text: {exc}") from None
    if text and not text.endswith(("\n", "\r")):
        raise EditRefused("the file does not end with a newline; add one and try again")
    lines = _LINES.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return original, bom, text, lines
