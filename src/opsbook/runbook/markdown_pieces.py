"""Small pieces of runbook Markdown: code spans, fences, list items, steps, tables.

Each writer produces text that the parser reads back to the same value. Where a value has
more than one spelling, the writer checks its first choice with the parser's own functions
and falls back to a safer one (bold text, a fenced block) when the first would misread.
"""

from __future__ import annotations

import re
from decimal import Decimal

from opsbook.runbook.blocks import label_of, read_document, strip_emphasis
from opsbook.runbook.durations import format_duration
from opsbook.runbook.model import Threshold

_LABEL_START = re.compile(r"^\*\*[^*\n]+?:?\*\*")
_WORD_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def code_span(text: str) -> str:
    """Wrap text in a code span whose backtick run is longer than any inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence(content: str, info: str = "bash", indent: str = "") -> str:
    """Write a fenced block, its fence longer than any run of the same character inside."""
    char = "~" if "`" in info else "`"
    longest = max((len(run) for run in re.findall(re.escape(char) + "+", content)), default=0)
    marks = char * max(3, longest + 1)
    lines = [f"{marks}{info}", *content.split("\n"), marks]
    return "\n".join(indent + line if line else "" for line in lines)


def bolded(text: str) -> str | None:
    """Return `**text**` when the parser's emphasis stripping gives the text back."""
    wrapped = f"**{text}**"
    return wrapped if text and strip_emphasis(wrapped) == text else None


def item(marker: str, text: str, lazy: bool = False) -> str:
    """Write a list item, continuation lines indented under its text (or not, when lazy)."""
    pad = "" if lazy else " " * (len(marker) + 1)
    first, *rest = text.split("\n")
    return "\n".join([f"{marker} {first}".rstrip(), *(pad + line if line else "" for line in rest)])


def starts_with_label(text: str) -> bool:
    """Say whether text opens with a bold `**Label**` the parser takes as a new part."""
    return bool(_LABEL_START.match(text))


def text_part(label: str, text: str) -> str:
    """Write `**Label**: text`, or the text as its own blocks when it reads back differently."""
    if not text:
        return ""
    head, _, rest = text.partition("\n\n")
    inline = f"**{label}**: {head}"
    if _one_labelled_paragraph(inline, label, head):
        return inline + (f"\n\n{rest}" if rest else "")
    return f"**{label}**:\n\n{text}"


def _one_labelled_paragraph(source: str, label: str, text: str) -> bool:
    if strip_emphasis(text) != text:
        return False
    doc = read_document(source)
    return len(doc.lead) == 1 and label_of(doc.lead[0]) == (label, text)


def number(value: float) -> str:
    """Write a number without exponent: 80.0 → `80`, 1e-05 → `0.00001`."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def threshold(value: Threshold | None) -> str:
    """Write a threshold cell: `> 80`, or `-` when there is none."""
    return "-" if value is None else f"{value.op} {number(value.value)}"


def duration_words(seconds: float) -> str:
    """Write seconds in words people use: 900 → `15 minutes`, 86400 → `1 day`."""
    for unit, size in _WORD_UNITS:
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return format_duration(seconds)


def cell(text: str) -> str:
    """Escape a table cell: pipes would split it."""
    return text.replace("|", "\\|").replace("\n", " ")


def table(header: list[str], rows: list[list[str]]) -> str:
    """Write a GFM table, its columns padded to line up in a plain-text view."""
    body = [[cell(c) for c in row] for row in rows]
    widths = [max(3, len(h), *(len(r[i]) for r in body)) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r).rstrip() for r in body)])


def heading(title: str, level: int) -> str:
    """Write an ATX heading; level 0 (the text before the first heading) has none."""
    if not level:
        return ""
    # A title ending in a lone run of # would be taken for the heading's closing sequence.
    closing = " #" if re.search(r"(^|\s)#+$", title) else ""
    return ("#" * level + " " + title).rstrip() + closing
