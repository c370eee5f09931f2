"""Markdown source → headings, each with its blocks split into labelled parts.

A part is what the template writes as `**Steps**:` followed by a list, or as a heading
`#### Steps` with the list under it. Both shapes come out the same, so the parser that
reads the runbook only deals with (label, inline text, blocks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

if TYPE_CHECKING:
    from markdown_it.token import Token

_LABEL = re.compile(
    r"^\*\*(?P<label>[^*\n]+?)(?P<inside>:?)\*\*(?P<after>:?)[ \t]*(?P<rest>.*)$", re.DOTALL
)


class Node:
    """A block of the Markdown tree: `paragraph`, `bullet_list`, `list_item`, `fence`, ...

    Built straight from markdown-it's token stream; lighter than its Node, which
    was a large share of `opsbook check` on a large runbook (docs/benchmarks.md).
    """

    __slots__ = ("children", "content", "info", "map", "tag", "type")

    def __init__(
        self,
        type: str,
        tag: str = "",
        content: str = "",
        info: str = "",
        map: list[int] | None = None,
    ) -> None:
        self.type = type
        self.tag = tag
        self.content = content
        self.info = info
        self.map = map
        self.children: list[Node] = []


def build_tree(tokens: list[Token]) -> Node:
    """Nest the flat token stream into blocks: `x_open` ... `x_close` become one Node."""
    root = Node("root")
    stack = [root]
    for token in tokens:
        if token.nesting == 1:
            node = Node(token.type.removesuffix("_open"), token.tag, "", token.info, token.map)
            stack[-1].children.append(node)
            stack.append(node)
        elif token.nesting == -1:
            stack.pop()
        else:
            leaf = Node(token.type, token.tag, token.content, token.info, token.map)
            stack[-1].children.append(leaf)
    return root


@dataclass
class Part:
    """A labelled piece of a section: `**Label**: inline` and the blocks after it."""

    label: str
    inline: str
    line: int
    blocks: list[Node] = field(default_factory=list)


@dataclass
class Heading:
    title: str
    level: int
    line: int
    blocks: list[Node] = field(default_factory=list)
    children: list[Heading] = field(default_factory=list)
    parent: Heading | None = None
    end_line: int = 0

    def parts(self) -> list[Part]:
        """Split the blocks into the untitled lead part (label "") and labelled parts."""
        parts = [Part(label="", inline="", line=self.line)]
        for block in self.blocks:
            if block.type == "hr":
                continue  # the template's `---` separators carry no meaning
            label = label_of(block)
            if label is not None:
                parts.append(Part(label=label[0], inline=label[1], line=line_of(block)))
            else:
                parts[-1].blocks.append(block)
        return parts


@dataclass
class Document:
    front_matter: str | None
    front_matter_line: int
    lead: list[Node]
    headings: list[Heading]
    lines: list[str]

    def source(self, blocks: list[Node]) -> str:
        """Return the original Markdown of the given blocks, lines as written."""
        spans = [b.map for b in blocks if b.map]
        if not spans:
            return ""
        start = min(s[0] for s in spans)
        end = max(s[1] for s in spans)
        return "\n".join(self.lines[start:end]).strip("\n")


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark").enable("table").use(front_matter_plugin)
    # The runbook reader works on each inline's raw source (code spans, `{attrs}`), so the
    # inline pass, a large share of the parse time (docs/benchmarks.md), is switched off.
    md.core.ruler.disable(["inline", "text_join"])
    # Link reference definitions (`[label]: url`) mean nothing to the structure, and the
    # rule that looks for them at every paragraph was a large share of block parsing; such
    # lines are read as prose instead.
    md.block.ruler.disable(["reference"])
    return md


def read_document(text: str) -> Document:
    """Parse Markdown into front matter and a tree of headings keeping line numbers."""
    root = build_tree(_markdown().parse(_blank_empty_items(text)))
    front: str | None = None
    front_line = 0
    lead: list[Node] = []
    roots: list[Heading] = []
    stack: list[Heading] = []
    for node in root.children:
        if node.type == "front_matter":
            front, front_line = node.content, line_of(node)
            continue
        if node.type == "heading":
            level = int(node.tag[1:])
            while stack and stack[-1].level >= level:
                stack.pop()
            heading = Heading(
                title=inline_text(node),
                level=level,
                line=line_of(node),
                parent=stack[-1] if stack else None,
            )
            (stack[-1].children if stack else roots).append(heading)
            stack.append(heading)
        elif stack:
            stack[-1].blocks.append(node)
        else:
            lead.append(node)
    # Split lines as markdown-it does (str.splitlines also breaks at form feeds, \x85 and
    # \u2028, which would shift every line after them against the token maps).
    return Document(front, front_line, lead, roots, re.split(r"\r\n?|\n", text))


_EMPTY_ITEM = re.compile(r"^[ \t]*([-*+]|\d{1,9}[.)])[ \t]*$")
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")


def _blank_empty_items(text: str) -> str:
    """Blank out the template's empty list items (`- `, `1. `), keeping line numbers.

    Left in, a lone `-` under a paragraph is a setext heading underline in CommonMark,
    so the template's `**Symptoms**:` followed by `- ` would read as a heading.
    """
    lines = text.split("\n")
    fence = ""
    for i, line in enumerate(lines):
        opener = _FENCE.match(line)
        if opener and (not fence or opener.group(1)[0] == fence[0]):
            fence = "" if fence else opener.group(1)
        elif not fence and _EMPTY_ITEM.match(line):
            lines[i] = ""
    return "\n".join(lines)


_ATX = re.compile(r"^ {0,3}#{1,6}(?=[ \t]|$)")


def demote_headings(text: str) -> str:
    """Write every heading outside a fence at level 6, to sit under any section it is put in.

    An issue's notes keep their sub-headings (`### Check the pods`); written back under the
    issue's own heading they must stay below it, or they would end the issue.
    """
    lines = text.split("\n")
    fence = ""
    for i, line in enumerate(lines):
        opener = _FENCE.match(line)
        if opener and (not fence or opener.group(1)[0] == fence[0]):
            fence = "" if fence else opener.group(1)
        elif not fence:
            lines[i] = _ATX.sub("######", line)
    return "\n".join(lines)


def walk(headings: list[Heading]) -> list[Heading]:
    """Return every heading in document order."""
    out: list[Heading] = []
    for heading in headings:
        out.append(heading)
        out.extend(walk(heading.children))
    return out


def line_of(node: Node) -> int:
    """Return the 1-based line where a block starts (0 when unknown)."""
    return node.map[0] + 1 if node.map else 0


def inline_source(node: Node) -> str:
    """Return the raw inline Markdown of a paragraph, heading or table cell."""
    for child in node.children:
        if child.type == "inline":
            return child.content.strip()
    return node.content.strip() if node.type == "inline" else ""


def inline_text(node: Node) -> str:
    """Return the inline Markdown of a heading with emphasis markers removed."""
    return strip_emphasis(inline_source(node))


def strip_emphasis(text: str) -> str:
    """Drop `**`/`__` emphasis markers so `**Issue**: x` reads `Issue: x`."""
    return re.sub(r"(\*\*|__)(.+?)\1", r"\2", text).strip()


def label_of(block: Node) -> tuple[str, str] | None:
    """Return (label, rest) for a paragraph that starts with a bold label, else None."""
    if block.type != "paragraph":
        return None
    match = _LABEL.match(inline_source(block))
    if not match:
        return None
    if not (match.group("inside") or match.group("after")) and match.group("rest")[:1] not in (
        "",
        "\n",
    ):
        # `**Important** Plan the updates first.` is emphasis in a sentence, not a label.
        return None
    return match.group("label").strip(), match.group("rest").strip()


def list_items(block: Node) -> list[Node]:
    """Return the items of a list block, or [] for any other block."""
    if block.type not in ("bullet_list", "ordered_list"):
        return []
    return [child for child in block.children if child.type == "list_item"]


def item_lead(item: Node) -> tuple[str, int]:
    """Return the first paragraph's inline Markdown of a list item and its line."""
    for child in item.children:
        if child.type == "paragraph":
            return inline_source(child), line_of(child)
    return "", line_of(item)


def table_rows(block: Node) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Return a table's header names (lower case) and its rows as (line, cells)."""
    header: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    for section in block.children:
        for row in section.children:
            cells = [inline_source(cell) for cell in row.children]
            if section.type == "thead":
                header = [strip_emphasis(c).lower() for c in cells]
            else:
                rows.append((line_of(row), cells))
    return header, rows


def cells_by_header(header: list[str], cells: list[str]) -> dict[str, str]:
    """Map header names to cell text; missing cells are empty."""
    padded = cells + [""] * (len(header) - len(cells))
    return {name: value.strip() for name, value in zip(header, padded, strict=False)}


def node_attr(node: Node, name: str) -> Any:
    """Return a token attribute (such as a fence's info string)."""
    return getattr(node, name, "")
