"""Steps and checks out of list items: the text, the command and its attributes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from opsbook.runbook.attributes import parse_attrs
from opsbook.runbook.blocks import inline_source, item_lead, line_of, strip_emphasis
from opsbook.runbook.fence_kinds import is_transcript, not_commands, transcript_commands
from opsbook.runbook.inline_commands import names_something, split_command
from opsbook.runbook.model import Attrs, Step
from opsbook.runbook.placeholder_forms import placeholder_names
from opsbook.runbook.problems import ValueProblem

if TYPE_CHECKING:
    from opsbook.runbook.blocks import Node

SHELL_LANGUAGES = {"", "sh", "bash", "shell", "console", "zsh", "shell-session"}
_CHECKBOX = re.compile(r"^\[[ xX]\]\s*")


def step_from_item(item: Node) -> Step | None:
    """Read one list item as a step; None for an empty item (the template's `1. `)."""
    raw, line = item_lead(item)
    raw = _CHECKBOX.sub("", raw).strip()
    try:
        text, command, attrs = split_command(raw)
    except ValueProblem as exc:
        exc.line = line
        raise
    if command is not None and not text and not command.split()[1:] and _has_list(item):
        # "- `timeout`" with items under it is a case the items handle, not a command.
        text, command = command, None
    if command is None:
        text, attrs = split_trailing_attrs(text, line)
    fenced = _item_fences(item)
    # "Check it with `podman pull`:" above the fence that spells the whole command out.
    if fenced is not None and (command is None or command in fenced[0]):
        command, fence_attrs = fenced
        attrs = replace(attrs, **fence_attrs.written())
    if not text and command is None:
        return None
    return Step(
        text=text or command or "",
        command=command,
        attrs=attrs,
        line=line,
        placeholders=placeholders(command) if command else (),
    )


def _item_fences(item: Node) -> tuple[str, Attrs] | None:
    """Return the commands of an item's runnable fences, in order (output fences skipped)."""
    found: list[tuple[str, Attrs]] = []
    for child in item.children:
        if child.type != "fence":
            continue
        try:
            fenced = command_from_fence(child.info, child.content)
        except ValueProblem as exc:
            exc.line = line_of(child)
            raise
        if fenced is not None:
            found.append(fenced)
    if not found:
        return None
    return "\n".join(c for c, _ in found), found[0][1]


def _has_list(item: Node) -> bool:
    return any(c.type in ("bullet_list", "ordered_list") for c in item.children)


_TRAILING_ATTRS = re.compile(r"\s*(\{[^{}]*\})\s*$")
# Attributes written as a bare word at the end of a step's text: `Restart it {unattended}`.
_FLAGS = {"confirm", "unattended", "continue_on_error"}


def split_trailing_attrs(text: str, line: int = 0) -> tuple[str, Attrs]:
    """Split `Warm caches {host=web}` into the text and its attributes."""
    match = _TRAILING_ATTRS.search(text)
    if match is None:
        return text, Attrs()
    body = match.group(1)
    flags = set(re.split(r"[\s,]+", body[1:-1].strip()))
    if "=" not in body and '"' not in body and not flags <= _FLAGS:
        return text, Attrs()
    try:
        attrs = parse_attrs(match.group(1))
    except ValueProblem as exc:
        exc.line = exc.line or line
        raise
    return text[: match.start()].rstrip(), attrs


def command_from_fence(info: str, content: str) -> tuple[str, Attrs] | None:
    """Return the command of a runnable fence and its attributes; None if it is only shown."""
    language, attrs_text = _split_info(info)
    if language.lower() not in SHELL_LANGUAGES:
        return None
    attrs = parse_attrs(attrs_text) if attrs_text else Attrs()
    if re.search(r"^\s*//", content, re.MULTILINE):
        return None  # `// a comment`: PromQL or code under a shell label, never a shell's
    console = language.lower() in ("console", "shell-session")
    if console or is_transcript(content):
        script = transcript_commands(content, console=console)
    elif not language and not_commands(content) is not None:
        return None
    elif not language and names_something(content.strip()):
        return None  # a fence holding one name (`jenkins.scm.api.SCMEvent`), not a program
    else:
        script = content.strip("\n")
    if not script.strip():
        return None
    return script, attrs


def _split_info(info: str) -> tuple[str, str]:
    info = info.strip()
    if info.startswith("{"):
        return "", info
    language, _, rest = info.partition(" ")
    if "{" in language:
        language, _, brace = language.partition("{")
        rest = "{" + brace + rest
    return language, rest.strip()


def placeholders(command: str) -> tuple[str, ...]:
    """Return the placeholders of a command (`<name>`, `{name}`, `YOUR_NAME`), in order."""
    return placeholder_names(command)


def _list_steps(block: Node, on_error: Callable[[ValueProblem], None]) -> list[Step]:
    """Read a list's items as steps; nested items that carry a command follow their parent."""
    out: list[Step] = []
    for item in block.children:
        try:
            step = step_from_item(item)
        except ValueProblem as exc:
            exc.line = exc.line or line_of(item)
            on_error(exc)
            continue
        if step is not None:
            out.append(step)
        for child in item.children:
            if child.type in ("bullet_list", "ordered_list"):
                out.extend(s for s in _list_steps(child, on_error) if s.command is not None)
    return out


def steps_from_blocks(
    blocks: list[Node], on_error: Callable[[ValueProblem], None], context: str = ""
) -> list[Step]:
    """Read the list items, bare runnable fences and command paragraphs among the blocks.

    `context` (a sub-heading such as "Check the pods") names a bare fence that no paragraph
    introduces.
    """
    out: list[Step] = []
    said = context
    for block in blocks:
        try:
            if block.type in ("bullet_list", "ordered_list"):
                out.extend(_list_steps(block, on_error))
            elif block.type == "paragraph":
                step = _paragraph_step(block)
                if step is not None:
                    out.append(step)
                    said = context
                else:
                    said = strip_emphasis(inline_source(block)).rstrip(":")
            elif block.type == "fence":
                fenced = command_from_fence(block.info, block.content)
                if fenced is not None:
                    # A bare fence is one step running the whole block; the paragraph
                    # just before it (if any) says what it does.
                    command, attrs = fenced
                    out.append(
                        Step(
                            text=said or command.splitlines()[0],
                            command=command,
                            attrs=attrs,
                            line=line_of(block),
                            placeholders=placeholders(command),
                        )
                    )
                said = context
        except ValueProblem as exc:
            exc.line = exc.line or line_of(block)
            on_error(exc)
    return out


def _paragraph_step(block: Node) -> Step | None:
    """Read a paragraph that ends in its command ("Restart it: `systemctl restart x`.")."""
    raw = inline_source(block)
    if "`" not in raw:
        return None
    text, command, attrs = split_command(raw)
    # In a paragraph a lone word is named ("a big picture with `events`"), not run.
    if command is None or not text or not command.split()[1:]:
        return None
    return Step(
        text=text,
        command=command,
        attrs=attrs,
        line=line_of(block),
        placeholders=placeholders(command),
    )


def says_more_than_steps(blocks: list[Node]) -> bool:
    """Say whether the blocks hold words their steps leave out: prose, a query, a table.

    A paragraph that introduces a runnable fence is that fence's step text, and a list whose
    items are all steps is its steps; anything else (a paragraph of explanation, a PromQL
    fence, a nested note under an item, a table or a quote) would be lost without the notes.
    """
    for index, block in enumerate(blocks):
        if block.type == "hr":
            continue
        if block.type in ("bullet_list", "ordered_list"):
            if any(_item_says_more(item) for item in block.children):
                return True
        elif block.type == "paragraph":
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            introduces = following is not None and _runnable_fence(following)
            if not introduces and _paragraph_step(block) is None:
                return True
        elif not _runnable_fence(block):
            return True
    return False


def _runnable_fence(block: Node) -> bool:
    try:
        return block.type == "fence" and command_from_fence(block.info, block.content) is not None
    except ValueProblem:
        return True  # a fence with bad attributes is reported as a problem, not kept as prose


def _item_says_more(item: Node) -> bool:
    paragraphs = 0
    for child in item.children:
        if child.type == "paragraph":
            paragraphs += 1
            if paragraphs > 1:
                return True
        elif child.type in ("bullet_list", "ordered_list"):
            if any(_item_says_more(c) or _item_without_command(c) for c in child.children):
                return True
        elif not _runnable_fence(child):
            return True
    return False


def _item_without_command(item: Node) -> bool:
    try:
        step = step_from_item(item)
    except ValueProblem:
        return False
    return step is not None and step.command is None
