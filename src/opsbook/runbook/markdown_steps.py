"""Steps, checks and lists of texts written as Markdown, each spelling checked by reading it back.

A step has several spellings: `text: \\`cmd\\``, a fenced block under the item, a bold text
when the plain one would be misread, or a bare fenced block between list items. The first
spelling that the parser's own reader turns back into the same step wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from opsbook.runbook import markdown_pieces as md
from opsbook.runbook.attributes import format_attrs
from opsbook.runbook.blocks import inline_source, label_of, read_document, strip_emphasis
from opsbook.runbook.commands import steps_from_blocks
from opsbook.runbook.model import Step
from opsbook.runbook.problems import ValueProblem
from opsbook.runbook.table_rows import items, unquote

# A spelling is ("item", markdown) for a list item, or ("block", markdown) for a block that
# stands between list items (the list goes on after it).
Spelling = tuple[str, str]


def step_list(steps: tuple[Step, ...], check: bool = False) -> str:
    """Write numbered steps, or checks as `- [ ]` items."""
    return _join([_step(s, "-" if check else f"{i}.", check) for i, s in enumerate(steps, 1)])


def text_list(
    texts: tuple[str, ...] | list[str],
    ordered: bool = False,
    keep_markup: bool = False,
    unquoted: bool = False,
) -> str:
    """Write texts as list items (or, when an item would misread, as a paragraph line)."""
    pieces: list[Spelling] = []
    for i, text in enumerate(texts, 1):
        marker = f"{i}." if ordered else "-"
        shown = [md.code_span(text)] if unquoted and "`" not in text else []
        candidates = [("item", md.item(marker, t)) for t in [*shown, text]]
        candidates.append(("block", text))
        pieces.append(
            _first(candidates, partial(_reads_texts, text=text, keep=keep_markup, unq=unquoted))
        )
    return _join(pieces)


def _join(pieces: list[Spelling]) -> str:
    out: list[str] = []
    previous = ""
    for kind, text in pieces:
        if out:
            out.append("\n" if kind == previous == "item" else "\n\n")
        out.append(text)
        previous = kind
    return "".join(out)


def labelled(label: str, body: str) -> str:
    """Put a body under `**Label**:`; a list may follow on the next line, anything else after
    a blank line (a paragraph would otherwise run on from the label)."""
    if not body:
        return ""
    glue = "\n" if re.match(r"(-|\d{1,9}\.) ", body) else "\n\n"
    return f"**{label}**:{glue}{body}"


def _first(candidates: list[Spelling], reads_back: Callable[[str], bool]) -> Spelling:
    return next((c for c in candidates if reads_back(c[1])), candidates[0])


def _step(step: Step, marker: str, check: bool) -> Spelling:
    prefix = "[ ] " if check else ""
    indent = " " * (len(marker) + 1)
    attrs = format_attrs(step.attrs)
    tail = f" {attrs}" if attrs else ""
    texts = [step.text, *([bold] if (bold := md.bolded(step.text)) else [])]
    candidates: list[Spelling] = []
    if step.command is None:
        candidates += [("item", md.item(marker, prefix + t + tail)) for t in texts]
        if "\n" in step.text:
            # A continuation line such as "=" reads differently indented (a heading
            # underline) than lazily continued, so try both.
            candidates.append(("item", md.item(marker, prefix + step.text + tail, lazy=True)))
        return _first(candidates, lambda s: _reads_step(s, step))
    command = step.command
    if "\n" not in command and "`" not in command and command == command.strip():
        span = md.code_span(command) + tail
        if step.text == command:
            candidates.append(("item", md.item(marker, prefix + span)))
        candidates.append(("item", md.item(marker, f"{prefix}{step.text}: {span}")))
        if bold:
            candidates.append(("item", md.item(marker, f"{prefix}{bold} {span}")))
    block = md.fence(command, "bash" + tail, indent)
    candidates += [("item", md.item(marker, prefix + t) + "\n" + block) for t in texts]
    if "\n" in step.text:
        candidates.append(("item", md.item(marker, prefix + step.text, lazy=True) + "\n" + block))
    if step.text == command:
        # No lead text at all: the parser then takes the whole command as the text.
        head = f"{marker} [ ]\n{block}" if check else f"{marker} {block.lstrip()}"
        candidates.append(("item", head))
    bare = md.fence(command, "bash" + tail)
    candidates.append(("block", bare))
    candidates += [("block", f"{t}\n\n{bare}") for t in texts]
    return _first(candidates, lambda s: _reads_step(s, step))


def _reads_step(markdown: str, step: Step) -> bool:
    doc = read_document(markdown)
    if doc.headings or any(label_of(b) for b in doc.lead):
        return False
    problems: list[ValueProblem] = []
    found = steps_from_blocks(doc.lead, problems.append)
    return not problems and len(found) == 1 and replace(found[0], line=0) == replace(step, line=0)


def _reads_texts(markdown: str, text: str, keep: bool, unq: bool) -> bool:
    doc = read_document(markdown)
    if doc.headings or len(doc.lead) != 1 or label_of(doc.lead[0]):
        return False
    block = doc.lead[0]
    if block.type in ("bullet_list", "ordered_list"):
        found = [raw if keep else strip_emphasis(raw) for _, raw, _ in items([block])]
    elif block.type == "paragraph":
        found = [ln.strip() for ln in inline_source(block).splitlines() if ln.strip()]
    else:
        return False
    return [unquote(t) if unq else t for t in found] == [text]
