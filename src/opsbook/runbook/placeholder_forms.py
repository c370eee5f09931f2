"""Placeholders in the forms people write them, so none is ever run literally.

`<name>`, `<value of namespace label from alert>`, `{name}` and `YOUR_NAME` / `your-name`
each stand for a value a person fills in. Each becomes a named parameter (`--param
name=VALUE`); procedures/placeholders.py turns it into a variable reference. `{name}` is
not one inside single quotes (`awk '{print}'`), after `$` (`${NAME}` is a variable), or in
`{a,b}` and `{}` (brace expansion, `find -exec`).
"""

from __future__ import annotations

import re

from opsbook.runbook.shell_words import read_quoted

PLACEHOLDER = re.compile(
    r"<(?P<angle>[A-Za-z][A-Za-z0-9_-]*(?: [A-Za-z0-9_-]+)*)>"
    r"|(?<![$\w{])\{(?P<brace>[A-Za-z][A-Za-z0-9_-]*)\}(?!\})"
    r"|(?<![$\w-])(?P<your>YOUR_[A-Z0-9_]*[A-Z0-9]|YOUR-[A-Z0-9-]*[A-Z0-9]|your-[a-z0-9-]*[a-z0-9])(?![\w-])"
)


def placeholder_at(command: str, at: int, *, single_quoted: bool = False) -> re.Match[str] | None:
    """Return the placeholder that starts at `at`, or None (`{name}` not in single quotes)."""
    match = PLACEHOLDER.match(command, at)
    if match is None or (single_quoted and match.group("brace")):
        return None
    return match


def placeholder_name(match: re.Match[str]) -> str:
    """Return the parameter a placeholder stands for: `<pod name>` -> `pod_name`."""
    text = match.group("angle") or match.group("brace") or match.group("your") or ""
    return "_".join(text.split())


def placeholder_names(command: str) -> tuple[str, ...]:
    """Return the placeholders of a command in order, without repeats (not in comments)."""
    seen: dict[str, None] = {}
    after = 0
    for i, single in read_quoted(command):
        if i < after or command[i] not in "<{yY":
            continue
        match = placeholder_at(command, i, single_quoted=single)
        if match is not None:
            seen.setdefault(placeholder_name(match), None)
            after = match.end()
    return tuple(seen)
