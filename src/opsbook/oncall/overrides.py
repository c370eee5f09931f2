"""Write an override into the runbook's `oncall:` front matter, in place, with a Version
History row (the in-place editor's way: every other byte of the file stays as it was).

The new override is one flow-style line added at the end of the rotation's `overrides:`
list (the list is made when the rotation has none). It is checked as the rotation will
read it before anything is written; a runbook open in an editor, or changed meanwhile,
refuses the edit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from opsbook.errors import BadInput, Refused
from opsbook.inputs import check_text
from opsbook.oncall.service import chosen
from opsbook.oncall.settings import FieldProblem, instant
from opsbook.runbook.cell_editor import insert_lines
from opsbook.runbook.editor import EditRefused, VersionRow
from opsbook.runbook.loader import load_runbook
from opsbook.runbook.problems import RunbookError


@dataclass(frozen=True)
class OverrideWritten:
    """The override written: where, the runbook's new version, and what it says."""

    path: str
    version: str
    rotation: str
    layer: str
    who: str
    covers: str
    start: datetime
    end: datetime
    summary: str


def _depth(line: str) -> int:
    return len(line) - len(line.lstrip())


def _is_content(line: str) -> bool:
    return bool(line.strip()) and not line.strip().startswith("#")


def _front_matter_end(lines: list[str]) -> int:
    if not lines or lines[0].strip() != "---":
        raise Refused("the runbook has no front matter", "add an `oncall:` block first")
    return next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), 0)


def _find_key(lines: list[str], begin: int, end: int, name: str, depth: int) -> int | None:
    """Return the line of `name:` written at exactly `depth` in [begin, end), if any."""
    pattern = re.compile(rf"^ {{{depth}}}(['\"]?){re.escape(name)}\1\s*:(\s|$)")
    for number in range(begin, end):
        line = lines[number]
        if _is_content(line) and _depth(line) < depth:
            return None
        if pattern.match(line):
            return number
    return None


def _child_depth(lines: list[str], start: int, end: int) -> int | None:
    return next((_depth(lines[i]) for i in range(start + 1, end) if _is_content(lines[i])), None)


def _block_end(lines: list[str], start: int, end: int, items_at_same_depth: bool) -> int:
    """Return the index after the last content line of the block the key at `start` opens."""
    depth, last = _depth(lines[start]), start
    for number in range(start + 1, end):
        line = lines[number]
        if not _is_content(line):
            continue
        inside = _depth(line) > depth or (
            items_at_same_depth and _depth(line) == depth and line.lstrip().startswith("- ")
        )
        if not inside:
            break
        last = number
    return last + 1


def plan_insertion(text: str, rotation: str, item: str) -> tuple[int, str, list[str]]:
    """Return (after line, its text, lines to insert) that add `item` to the overrides."""
    lines = text.splitlines()
    end = _front_matter_end(lines)
    top = _find_key(lines, 1, end, "oncall", 0)
    if top is None:
        raise Refused("the front matter has no `oncall:` block written as a block")
    top_end = _block_end(lines, top, end, False)
    inner = _child_depth(lines, top, top_end)
    own = _find_key(lines, top + 1, top_end, rotation, inner) if inner else None
    if own is None:
        raise Refused(f"the `oncall:` block has no rotation `{rotation}:` written as a block")
    rotation_end = _block_end(lines, own, top_end, False)
    child = _child_depth(lines, own, rotation_end)
    if child is None:
        raise Refused(f"rotation `{rotation}` is written in flow style; write it as a block")
    key_at = _find_key(lines, own + 1, rotation_end, "overrides", child)
    if key_at is None:
        after = rotation_end
        return after, lines[after - 1], [" " * child + "overrides:", " " * (child + 2) + item]
    rest = lines[key_at].split(":", 1)[1].strip()
    if rest and not rest.startswith("#"):
        raise Refused(
            "the rotation's `overrides:` is written in flow style ([...])",
            "write it as a list of `- ` lines, one override a line, so opsbook can add one",
        )
    after = _block_end(lines, key_at, rotation_end, True)
    dashes = [
        _depth(lines[i]) for i in range(key_at + 1, after) if lines[i].lstrip().startswith("- ")
    ]
    indent = dashes[0] if dashes else _depth(lines[key_at]) + 2
    return after, lines[after - 1], [" " * indent + item]


def add_override(
    *,
    path: Path,
    rotation: str,
    who: str,
    start: str,
    end: str,
    covers: str | None,
    layer: str | None,
    actor: str,
    now: datetime,
) -> OverrideWritten:
    """Add an override to a rotation in the runbook file; return what was written."""
    if path.is_dir():
        raise Refused(f"{path}: a folder of runbooks; its front matter is not written back")
    try:
        runbook = load_runbook(path)
    except RunbookError as exc:
        raise Refused(f"{path}: not updated: the runbook does not parse: {exc}") from None
    found = chosen(runbook, rotation)[0]
    who = check_text(who, field="--who", max_length=300).strip()
    if not who:
        raise BadInput("--who is empty", 'say who covers: --who "Lee <lee@example.com>"')
    named = found.layer(layer) if layer else found.layers[0]
    if named is None:
        known = ", ".join(lyr.name for lyr in found.layers)
        raise BadInput(f'rotation {found.name} has no layer "{layer}"', f"layers: {known}")
    try:
        begin = instant(start, "--from", found.zone)
        finish = instant(end, "--to", found.zone)
    except FieldProblem as exc:
        raise BadInput(exc.message.replace("front matter ", ""), exc.hint) from None
    if finish <= begin:
        raise BadInput("--to is not after --from", "an override covers from --from to --to")
    entry: dict[str, str] = {"who": who}
    if covers:
        entry["covers"] = check_text(covers, field="--covers", max_length=300).strip()
    entry["from"], entry["to"] = start.strip(), end.strip()
    if layer:
        entry["layer"] = named.name
    item = (
        "- {"
        + ", ".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in entry.items())
        + "}"
    )
    text = path.read_text(encoding="utf-8")
    after, expected, new_lines = plan_insertion(text, found.name, item)
    covering = f" covering {entry['covers']}" if covers else ""
    summary = f"{found.name}/{named.name}: {who}{covering} from {entry['from']} to {entry['to']}"
    try:
        edit = insert_lines(
            path,
            after=after,
            expected=expected,
            new_lines=new_lines,
            row=VersionRow(
                date=now.astimezone(UTC).strftime("%Y-%m-%d"),
                author=actor,
                changes=f"On-call override {summary}",
            ),
        )
    except EditRefused as exc:
        raise Refused(f"{path}: not updated: {exc}") from None
    return OverrideWritten(
        str(path),
        edit.version,
        found.name,
        named.name,
        who,
        entry.get("covers", ""),
        begin,
        finish,
        summary,
    )
